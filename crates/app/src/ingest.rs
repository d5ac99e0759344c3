//! Loading a lender's files and keeping the key ring they are sealed under. The loading itself is the `integrate`
//! crate's (contracts, quarantine, versions, personal data sealed by `privacy`); this module turns a request into
//! a load of named files of one source or of a directory with a manifest, and writes and rotates key files.
//!
//! Key material never reaches an error message; key files are created readable by their owner only.

use std::io::Write;
use std::path::{Path, PathBuf};

use domain::{Clock, Date};
use ingest::Contract;
use ingest::TextEncoding;
use integrate::RecordStore;
use integrate::{DirectoryReport, IntegrateError, LoadOptions, Progress};
use privacy::{BatchedOsNonces, FieldCipher, Keyring};

use crate::error::Error;

/// The environment variable holding the key text when no key file is given.
pub const KEYS_VARIABLE: &str = "AGRIRISK_KEYS";

/// The key ring from a key file or, without one, from the text of the [`KEYS_VARIABLE`] variable (`None` when it
/// is not set; the caller reads the environment).
pub fn keyring(key_file: Option<&Path>, variable: Option<&str>) -> Result<Keyring, Error> {
    match (key_file, variable) {
        (Some(path), _) => Keyring::load(path).map_err(|e| Error::input("key-file", e)),
        (None, Some(text)) => Keyring::parse(KEYS_VARIABLE, text).map_err(|e| Error::input(KEYS_VARIABLE, e)),
        (None, None) => Err(Error::input(
            "key-file",
            format!(
                "personal data is sealed at rest: pass --key-file FILE or set {KEYS_VARIABLE} (agririsk keys generate --out FILE makes one)"
            ),
        )),
    }
}

/// What to load.
#[derive(Debug)]
pub enum Sources {
    /// Files of one source.
    Files {
        /// The source's contract.
        contract: &'static Contract,
        /// Its files, each checked to exist.
        files: Vec<PathBuf>,
    },
    /// A directory with a manifest.
    Directory(PathBuf),
    /// Nothing was named.
    Nothing,
}

impl Sources {
    /// The sources named: a source and its files, or a directory. An unknown source or a missing file is refused.
    pub fn new(source: Option<&str>, files: Vec<PathBuf>, all: Option<PathBuf>) -> Result<Sources, Error> {
        let sources = match (source, all) {
            (Some(name), None) => {
                let contract = ingest::contracts::by_name(name).ok_or_else(|| {
                    let known: Vec<&str> = ingest::contracts::ALL.iter().map(|c| c.name).collect();
                    Error::input("source", format!("unknown source `{name}` (known: {})", known.join(", ")))
                })?;
                Sources::Files { contract, files: Vec::new() }
            }
            (_, Some(dir)) => Sources::Directory(dir),
            (None, None) => Sources::Nothing,
        };
        if let Some(file) = files.iter().find(|f| !f.is_file()) {
            return Err(Error::input(file.display().to_string(), "no such file"));
        }
        Ok(match sources {
            Sources::Files { contract, .. } => Sources::Files { contract, files },
            other => other,
        })
    }
}

/// A load.
#[derive(Debug)]
pub struct IngestRequest {
    /// What to load.
    pub sources: Sources,
    /// The declared encoding, or detection.
    pub encoding: Option<TextEncoding>,
    /// The date the records are as of.
    pub as_of: Date,
    /// Where rejected rows are written.
    pub quarantine_dir: PathBuf,
}

/// Loads the request's files into the store, sealing personal data under `keys`; `progress` hears of every source.
pub async fn load(
    store: &impl RecordStore,
    keys: Keyring,
    request: &IngestRequest,
    clock: &dyn Clock,
    progress: &mut dyn Progress,
) -> Result<DirectoryReport, Error> {
    let cipher = FieldCipher::new(keys, BatchedOsNonces::new());
    let options = LoadOptions {
        encoding: request.encoding,
        as_of: request.as_of,
        loaded_at: clock.now_rfc3339(),
        quarantine_dir: request.quarantine_dir.clone(),
    };
    let report = match &request.sources {
        Sources::Files { contract, files } => {
            let mut loads = Vec::new();
            for file in files {
                loads.push(integrate::load_file(store, &cipher, contract, file, &options, progress).await?);
            }
            DirectoryReport { loads, skipped: Vec::new(), dangling: Vec::new() }
        }
        Sources::Directory(dir) => integrate::load_directory(store, &cipher, dir, &options, progress).await?,
        Sources::Nothing => return Err(IntegrateError::UnknownSource(String::new()).into()),
    };
    Ok(report)
}

/// Open options for a key file: written only, by its owner only.
fn key_file_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Writes a new key file with one key `id`; an existing file is never overwritten.
pub fn generate_keys(out: &Path, id: &str) -> Result<(), Error> {
    let text = privacy::generate_key_text(id).map_err(|e| Error::input("id", e))?;
    let mut file = key_file_options().create_new(true).open(out).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            Error::input("out", format!("{} exists; keys are never overwritten", out.display()))
        }
        _ => Error::Internal(anyhow::Error::new(e).context(format!("creating {}", out.display()))),
    })?;
    file.write_all(text.as_bytes()).map_err(|e| Error::Internal(e.into()))
}

/// Appends a new key `id` to a key file and makes it current; older keys stay, so tokens sealed with them stay
/// readable. The file is replaced whole.
pub fn rotate_keys(key_file: &Path, id: &str) -> Result<(), Error> {
    let ring = Keyring::load(key_file).map_err(|e| Error::input("key-file", e))?;
    if ring.contains(id) {
        return Err(Error::input("id", format!("key `{id}` is in the file already")));
    }
    let entry = privacy::generate_rotation_entry(id).map_err(|e| Error::input("id", e))?;
    let text = std::fs::read_to_string(key_file).map_err(|e| Error::Internal(e.into()))?;
    // A previous `current:` line is superseded; drop it so the file stays valid (one `current` entry).
    let mut text: String =
        text.lines().filter(|l| !l.trim_start().starts_with("current:")).map(|l| format!("{l}\n")).collect();
    text.push_str(&entry);
    Keyring::parse(&key_file.display().to_string(), &text).map_err(|e| Error::input("key-file", e))?;
    let partial = key_file.with_extension("rotating");
    let mut file =
        key_file_options().create(true).truncate(true).open(&partial).map_err(|e| Error::Internal(e.into()))?;
    file.write_all(text.as_bytes()).map_err(|e| Error::Internal(e.into()))?;
    std::fs::rename(&partial, key_file).map_err(|e| Error::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_file_and_no_variable_is_refused_naming_the_key_file() {
        let e = keyring(None, None).expect_err("no keys");
        assert_eq!(e.field(), Some("key-file"));
        let e = keyring(None, Some("not a key ring")).expect_err("bad keys");
        assert_eq!(e.field(), Some(KEYS_VARIABLE));
    }

    #[test]
    fn a_rotated_key_file_reads_with_both_keys_and_is_never_overwritten() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("keys");
        generate_keys(&file, "k1").expect("generated");
        assert_eq!(generate_keys(&file, "k1").expect_err("exists").field(), Some("out"));
        rotate_keys(&file, "k2").expect("rotated");
        let ring = keyring(Some(&file), None).expect("readable");
        assert!(ring.contains("k1") && ring.contains("k2"));
        assert_eq!(rotate_keys(&file, "k2").expect_err("twice").field(), Some("id"));
    }

    #[test]
    fn an_unknown_source_or_a_missing_file_is_refused() {
        let e = Sources::new(Some("no-such-source"), Vec::new(), None).expect_err("unknown");
        assert_eq!(e.field(), Some("source"));
        let name = ingest::contracts::ALL[0].name;
        let e = Sources::new(Some(name), vec![PathBuf::from("/no/such/file.csv")], None).expect_err("missing");
        assert_eq!(e.field(), Some("/no/such/file.csv"));
    }
}
