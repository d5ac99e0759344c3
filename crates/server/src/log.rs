//! Where the request log's lines go: a thread of their own. A request's line is handed over a bounded channel and
//! written by one thread to standard error through a buffer flushed whenever the channel runs dry, so a request
//! never waits on a terminal or a pipe, nor on another request's line. After each flush the writer rests for
//! [`REST`] before it looks again: a line sent meanwhile waits in the channel instead of waking the writer, so under
//! load the writer wakes a few hundred times a second, not once a request (on two cores each wake-up is a context
//! switch taken from the requests). When the channel is full (the reader of the
//! log has stopped reading), lines are dropped and counted rather than slowing the service; a killed process loses
//! at most the lines not yet written, and a server stopping waits for every line sent before it
//! ([`LogSink::drain`]).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, TrySendError, channel, sync_channel};
use std::time::Duration;

/// Lines that may wait for the writer thread.
pub const QUEUE_LINES: usize = 16_384;
/// How long the writer rests after writing what it found: the most a line waits behind an earlier one.
pub const REST: Duration = Duration::from_millis(5);

/// The log's sink: clone it freely; [`LogSink::line`] makes the writer one event formats into.
#[derive(Clone)]
pub struct LogSink {
    tx: SyncSender<Message>,
    dropped: Arc<AtomicU64>,
}

impl LogSink {
    /// Starts the writer thread over `out` (standard error in the server).
    pub fn start(out: impl Write + Send + 'static) -> std::io::Result<LogSink> {
        let (tx, rx) = sync_channel(QUEUE_LINES);
        std::thread::Builder::new().name("log-writer".into()).spawn(move || write_lines(rx, out))?;
        Ok(LogSink { tx, dropped: Arc::new(AtomicU64::new(0)) })
    }

    /// A writer for one event's line; the line is handed over when it is dropped.
    pub fn line(&self) -> LogLine {
        LogLine { sink: self.clone(), buf: Vec::with_capacity(256) }
    }

    /// Lines dropped because the writer fell behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Waits, at most `patience`, until every line sent before this call is written and flushed: what a stopping
    /// server does last, so the lines of its final requests are not lost with the process. Whether they were.
    pub fn drain(&self, patience: Duration) -> bool {
        let (done, written) = channel();
        // Sending waits while the channel is full; the writer empties it.
        if self.tx.send(Message::Drain(done)).is_err() {
            return false;
        }
        written.recv_timeout(patience).is_ok()
    }
}

/// What the writer thread is handed: a line, or a request to say when everything sent before it is written.
enum Message {
    Line(Vec<u8>),
    Drain(Sender<()>),
}

/// One event's line being formatted.
pub struct LogLine {
    sink: LogSink,
    buf: Vec<u8>,
}

impl Write for LogLine {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        match self.sink.tx.try_send(Message::Line(std::mem::take(&mut self.buf))) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                self.sink.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn write_lines(rx: Receiver<Message>, out: impl Write) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    let mut waiting = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut take = |message| match message {
            Message::Line(line) => drop(out.write_all(&line)),
            Message::Drain(done) => waiting.push(done),
        };
        take(first);
        while let Ok(more) = rx.try_recv() {
            take(more);
        }
        let _ = out.flush();
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
        std::thread::sleep(REST);
    }
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_arrives_whole_and_in_order_from_one_thread() {
        let out = Shared::default();
        let sink = LogSink::start(out.clone()).expect("the writer starts");
        for n in 0..1_000 {
            let mut line = sink.line();
            write!(line, "line {n}").expect("format");
            writeln!(line, " end").expect("format");
        }
        drop(sink);
        // The writer flushes once the channel runs dry; wait for it a little.
        let expected: String = (0..1_000).map(|n| format!("line {n} end\n")).collect();
        for _ in 0..200 {
            if out.0.lock().expect("lock").len() == expected.len() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(String::from_utf8(out.0.lock().expect("lock").clone()).expect("utf-8"), expected);
    }

    #[test]
    fn drain_returns_once_every_line_sent_before_it_is_written() {
        let out = Shared::default();
        let sink = LogSink::start(out.clone()).expect("the writer starts");
        for n in 0..100 {
            let mut line = sink.line();
            writeln!(line, "line {n}").expect("format");
        }
        assert!(sink.drain(Duration::from_secs(10)), "the writer answers");
        let expected: String = (0..100).map(|n| format!("line {n}\n")).collect();
        assert_eq!(String::from_utf8(out.0.lock().expect("lock").clone()).expect("utf-8"), expected);
    }
}
