//! Files the use cases write: an output reaches its destination only whole. Text is written to a hidden file beside
//! the destination and renamed into place; a directory of files is written into a hidden staging directory that
//! replaces the destination at the end. A failed command therefore leaves no partial artifact, table or data set.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// The directory `out` lives in (`.` for a bare file name).
fn parent_of(out: &Path) -> &Path {
    out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// The hidden name beside `out` that its content is written under first.
fn partial_of(out: &Path) -> PathBuf {
    let name = out.file_name().map_or("out".into(), |n| n.to_string_lossy().into_owned());
    parent_of(out).join(format!(".{name}.partial"))
}

/// Writes `text` to `out` through a hidden temporary file renamed into place. A missing directory is an input
/// error on `field`.
pub fn write_atomically(out: &Path, text: &str, field: &str) -> Result<(), Error> {
    let parent = parent_of(out);
    if !parent.is_dir() {
        return Err(Error::input(field, format!("{}: the directory does not exist", parent.display())));
    }
    let staging = partial_of(out);
    let internal = |e: std::io::Error, what: &str| Error::internal(format!("{what} {}: {e}", out.display()));
    std::fs::write(&staging, text).map_err(|e| internal(e, "writing"))?;
    std::fs::rename(&staging, out).map_err(|e| internal(e, "moving into place"))
}

/// A fresh, empty hidden directory beside `out` to write a directory of files into (the parent is created).
pub fn staging_dir(out: &Path) -> Result<PathBuf, Error> {
    let io = |e: std::io::Error, what: &str| Error::internal(format!("{what}: {e}"));
    std::fs::create_dir_all(parent_of(out)).map_err(|e| io(e, "creating the output's parent directory"))?;
    let staging = partial_of(out);
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| io(e, "clearing a stale partial output"))?;
    }
    std::fs::create_dir_all(&staging).map_err(|e| io(e, "creating the output directory"))?;
    Ok(staging)
}

/// Moves a finished staging directory into place as `out`, replacing what was there.
pub fn replace_dir(staging: &Path, out: &Path) -> Result<(), Error> {
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(|e| Error::internal(format!("replacing the output directory: {e}")))?;
    }
    std::fs::rename(staging, out).map_err(|e| Error::internal(format!("moving the output into place: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_arrives_whole_and_a_missing_directory_names_the_field() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("a.txt");
        write_atomically(&out, "one", "out").expect("written");
        write_atomically(&out, "two", "out").expect("replaced");
        assert_eq!(std::fs::read_to_string(&out).expect("read"), "two");
        assert!(!dir.path().join(".a.txt.partial").exists());
        let e = write_atomically(&dir.path().join("none/a.txt"), "x", "report").expect_err("no directory");
        assert_eq!(e.field(), Some("report"));
    }

    #[test]
    fn a_staged_directory_replaces_the_old_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("run");
        std::fs::create_dir_all(&out).expect("old");
        std::fs::write(out.join("old.csv"), "x").expect("old file");
        let staging = staging_dir(&out).expect("staging");
        std::fs::write(staging.join("new.csv"), "y").expect("new file");
        replace_dir(&staging, &out).expect("replaced");
        assert!(out.join("new.csv").exists() && !out.join("old.csv").exists() && !staging.exists());
    }
}
