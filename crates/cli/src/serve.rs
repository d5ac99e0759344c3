//! `agririsk serve`: opens the store, builds the server of the `server` crate with the system clock, binds the
//! address and serves until Ctrl-C (or, with `--stop-on-eof`, until standard input closes). The server's log —
//! one JSON line per request and its warnings — goes to standard error, filtered by `RUST_LOG` (default `info`).

use std::net::SocketAddr;
use std::sync::Arc;

use app::decisions::Setup;

use crate::Place;
use crate::SystemClock;
use crate::args::{DecisionDurability, ServeArgs};
use crate::error::CliError;

/// `agririsk serve`.
pub async fn serve_command(at: &Place, args: ServeArgs) -> Result<(), CliError> {
    let today = args.today.map(|t| crate::date("today", &t)).transpose()?;
    let durability = match args.decision_durability {
        DecisionDurability::PowerLoss => store::Durability::PowerLoss,
        DecisionDurability::ProcessCrash => store::Durability::ProcessCrash,
    };
    let addr: SocketAddr =
        args.listen.parse().map_err(|e| CliError::input("listen", format!("'{}': {e}", args.listen)))?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            Some(server::tls::acceptor(cert, key).map_err(|e| CliError::input("tls-cert", e.to_string()))?)
        }
        _ => None,
    };
    if tls.is_none() && !server::tls::loopback_only(&addr) && !args.insecure_remote_http {
        return Err(CliError::input(
            "listen",
            format!(
                "{addr} is reachable from other machines: give --tls-cert and --tls-key to serve HTTPS, or \
                 --insecure-remote-http to serve plain HTTP there anyway"
            ),
        ));
    }
    let rate = |n: u32| (n > 0).then(|| server::throttle::Rate::per_second(n));
    let limits =
        server::throttle::Limits { per_caller: rate(args.rate_limit), per_address: rate(args.address_rate_limit) };
    let challenger = args.challenger.zip(args.challenger_share);
    if let Some((_, percent)) = &challenger {
        if *percent > 100 {
            return Err(CliError::input("challenger-share", format!("{percent} is not a percentage (0–100)")));
        }
    }
    // Dropped last, on every way out: the log's last lines are written before the process ends with them.
    let _log = init_log().map(Drained);
    let setup = Setup { challenger: challenger.map(|(id, pct)| (id, pct * 100)), salt: args.salt };
    let stop_on_eof = args.stop_on_eof;
    let store = store::Database::open(&at.location).await?;
    let clock: Arc<dyn domain::Clock + Send + Sync> = match today {
        Some(day) => Arc::new(domain::FixedClock(day)),
        None => Arc::new(SystemClock),
    };
    let mut server = match &at.reads {
        Some(reads) => {
            let reads = store::Database::open_reader(reads).await?;
            server::Server::with_reads(store, reads, setup, durability, clock).await?
        }
        None => server::Server::new(store, setup, durability, clock).await?,
    };
    server.windows.repayments.back_days = args.max_backdate_days;
    server.windows.disbursements.back_days = args.max_backdate_days;
    server.limits = limits;
    if let Some(file) = &args.key_file {
        // Read once now so a wrong file is refused at start, not at the first profile.
        privacy::Keyring::load(file).map_err(|e| CliError::input("key-file", e.to_string()))?;
        server.privacy_keys = Some(file.clone());
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    server.tls = tls;
    let server = Arc::new(server);
    if let Some(key) = &args.audit_key {
        let key = app::audit::signing_key(key)?;
        let file = args.checkpoints.clone().unwrap_or_else(|| crate::audit::default_checkpoints(at));
        let every = std::time::Duration::from_secs(args.checkpoint_every.clamp(1, 86_400));
        sign_checkpoints(Arc::clone(&server), key, file, every);
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::input("listen", format!("cannot listen on {addr}: {e}")))?;
    let local = listener.local_addr().map_err(|e| CliError::Internal(e.into()))?;
    // The line tests and scripts wait for: the actual address (port 0 picks a free one).
    crate::emit(&format!("listening on {scheme}://{local}\n"))?;
    if scheme == "http" {
        let reach = if local.ip().is_loopback() { "this machine only (loopback)" } else { "the network, unencrypted" };
        tracing::warn!(address = %local, "serving plain HTTP to {reach}; give --tls-cert and --tls-key to serve HTTPS");
    }
    let shutdown = async move {
        let eof = async {
            if stop_on_eof {
                use tokio::io::AsyncReadExt;
                let mut sink = [0u8; 256];
                let mut stdin = tokio::io::stdin();
                while stdin.read(&mut sink).await.is_ok_and(|n| n > 0) {}
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = eof => {}
        }
    };
    server::run(listener, server, shutdown).await.map_err(|e| CliError::Internal(e.into()))
}

/// The log's sink, drained when dropped.
struct Drained(server::log::LogSink);

impl Drop for Drained {
    fn drop(&mut self) {
        self.0.drain(std::time::Duration::from_secs(5));
    }
}

/// Signs a checkpoint of the audit trail's head into `file` now and then every `every`, whenever the trail has grown
/// since the last one; a failure is logged and tried again at the next turn.
fn sign_checkpoints(
    server: server::Shared,
    key: audit::AuditKey,
    file: std::path::PathBuf,
    every: std::time::Duration,
) {
    tokio::spawn(async move {
        let mut signed: Option<u64> = None;
        loop {
            match store::AuditLog::audit_head(&server.store).await {
                Ok(Some(head)) if signed != Some(head.seq) => {
                    match app::audit::checkpoint(&server.store, &key, &file, server.clock.now()).await {
                        Ok(checkpoint) => signed = Some(checkpoint.seq),
                        Err(e) => tracing::error!(error = %e, "the audit checkpoint could not be written"),
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "the audit trail's head could not be read"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// Installs the log subscriber: JSON lines on standard error, one event per line with its fields at the top level,
/// at the levels `RUST_LOG` asks for (`target=level` directives, e.g. `info,server::telemetry=off`) or `info`.
/// Returns the log's sink, to drain when the server stops.
fn init_log() -> Option<server::log::LogSink> {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let asked = std::env::var("RUST_LOG").ok().filter(|v| !v.trim().is_empty());
    // Lines are written by a thread of their own, so a request never waits on standard error.
    let sink = server::log::LogSink::start(std::io::stderr()).ok()?;
    let kept = sink.clone();
    let (filter, unreadable) = match asked.as_deref().map(str::parse::<Targets>) {
        Some(Ok(targets)) => (targets, None),
        Some(Err(e)) => (Targets::new().with_default(LevelFilter::INFO), Some(e)),
        None => (Targets::new().with_default(LevelFilter::INFO), None),
    };
    let lines = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(move || sink.line());
    // Already installed (a second server in one process) is fine: the first one logs.
    if tracing_subscriber::registry().with(lines).with(filter).try_init().is_ok() {
        if let Some(e) = unreadable {
            tracing::warn!(error = %e, "RUST_LOG is not a list of target=level directives; logging at info");
        }
    }
    Some(kept)
}
