//! Loading keyrings: the key file and its permissions, and that key material never prints.

use std::path::PathBuf;

use privacy::{KeyError, Keyring};

use crate::{INDEX, K1, K2, k1_only, keyring};

/// A fresh path in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("agririsk-privacy-{}-{name}", std::process::id()));
        std::fs::write(&path, text).expect("write temp file");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(unix)]
#[test]
fn key_files_must_be_private() {
    use std::os::unix::fs::PermissionsExt;
    let file = TempFile::new("keys-perm", &format!("# test\n{}\n", k1_only()));
    std::fs::set_permissions(&file.0, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = Keyring::load(&file.0).expect_err("world-readable");
    assert!(matches!(err, KeyError::Permissions { mode: 0o644, .. }), "{err:?}");
    assert!(err.to_string().ends_with("key file is accessible to group or others (mode 644); run `chmod 600` on it"));
    std::fs::set_permissions(&file.0, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let ring = Keyring::load(&file.0).expect("private file loads");
    assert_eq!(ring.current_id().as_str(), "k1");
}

#[cfg(unix)]
#[test]
fn errors_in_a_key_file_name_it() {
    use std::os::unix::fs::PermissionsExt;
    let file = TempFile::new("keys-bad", &format!("index:{INDEX}\nk1:{K1}\nk1:{K2}\n"));
    std::fs::set_permissions(&file.0, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let err = Keyring::load(&file.0).expect_err("duplicate");
    assert_eq!(err.to_string(), format!("{}:3: `k1` is already given on line 2", file.0.display()));
    let missing = Keyring::load(&file.0.with_extension("missing")).expect_err("no file");
    assert!(matches!(missing, KeyError::Io { .. }));
}

#[test]
fn keyring_debug_shows_ids_only() {
    let ring = keyring(&format!("index:{INDEX}\nk1:{K1}\nk2:{K2}\ncurrent:k2"));
    let debug = format!("{ring:?}");
    assert_eq!(debug, r#"Keyring { current: "k2", keys: ["k1", "k2"], index_key: "<redacted>" }"#);
    for key in [K1, K2, INDEX] {
        assert!(!debug.contains(key));
    }
}

#[test]
fn errors_never_contain_key_material() {
    let short = &K2[..40];
    let cases = [
        format!("index:{INDEX}\nk1:{short}"),
        format!("index:{INDEX}\nk1:{short}!!!!"),
        format!("index:{INDEX}\nk1:{K2}\nk1:{K2}"),
        format!("index:{K2}\nk1:{K2}"),
        format!("index:{INDEX}\nk1:{K1}\ncurrent:{K2}"),
        format!("index:{INDEX}\n{K2}"),
        format!("{K2}:{K2}"),
        format!("index:{INDEX};index:{K2}"),
    ];
    for text in cases {
        let err = Keyring::parse("env AGRIRISK_KEYS", &text).expect_err("invalid");
        let shown = format!("{err} {err:?}");
        assert!(shown.starts_with("env AGRIRISK_KEYS"), "{shown}");
        for secret in [K1, K2, INDEX, short] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}

#[test]
fn environment_value_on_one_line() {
    let ring = keyring(&format!("index:{INDEX};k2:{K2};k1:{K1}"));
    assert_eq!(ring.current_id().as_str(), "k2");
    assert!(ring.contains("k1"));
}
