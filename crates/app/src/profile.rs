//! A borrower's profile and the pseudonymised export, as use cases. The work is `integrate::profile` and
//! `integrate::export`'s; this module opens the sealed fields with the key ring and refuses an export that is not
//! pseudonymised before anything is read.

use std::path::PathBuf;

use domain::Date;
use integrate::RecordStore;
use integrate::export::{ExportManifest, ExportOptions, export_pseudonymised};
use integrate::profile::{Profile, Query, Reveal};
use privacy::{FieldCipher, Keyring, OsNonces};
use store::ErasureRegister;

use crate::error::Error;

/// A profile request: whose profile, as of when.
#[derive(Debug, Clone)]
pub struct ProfileRequest {
    query: Query,
    as_of: Date,
    reveal: Reveal,
}

impl ProfileRequest {
    /// The profile, as of `as_of`, of the household `id` names: a household id, a national ID, a phone number or
    /// a blind index, as typed. A malformed id is refused here, before any key is read.
    pub fn new(id: &str, as_of: Date) -> Result<ProfileRequest, Error> {
        Ok(ProfileRequest { query: Query::parse(id)?, as_of, reveal: Reveal::Masked })
    }

    /// The same request with the members' personal data shown in the clear: for a caller who may unmask, with a
    /// stated purpose, and audited by that caller (the HTTP API's `unmask`).
    pub fn unmasked(self) -> ProfileRequest {
        ProfileRequest { reveal: Reveal::Plain, ..self }
    }
}

/// The profile the request asks for, the sealed fields opened with `keys`; a household whose personal data was
/// erased is answered with its members' other data and a note saying so ([`crate::privacy::note_erasure`]).
pub async fn profile<S: RecordStore + ErasureRegister>(
    store: &S,
    keys: Keyring,
    request: &ProfileRequest,
) -> Result<Profile, Error> {
    let cipher = FieldCipher::new(keys, OsNonces);
    let mut profile =
        integrate::profile::profile_revealing(store, &cipher, &request.query, request.as_of, request.reveal).await?;
    crate::privacy::note_erasure(store, &mut profile, request.reveal == Reveal::Plain).await?;
    Ok(profile)
}

/// An export: only pseudonymised exports are offered.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    options: ExportOptions,
}

impl ExportRequest {
    /// An export of the current versions into the new directory `out`, pseudonymised under `scope`. Refused
    /// unless `pseudonymised` was asked for.
    pub fn new(pseudonymised: bool, scope: String, out: PathBuf) -> Result<ExportRequest, Error> {
        if !pseudonymised {
            return Err(Error::input(
                "pseudonymised",
                "only pseudonymised exports are offered: add --pseudonymised (personal data and household ids are \
                 replaced by pseudonyms)",
            ));
        }
        Ok(ExportRequest { options: ExportOptions { scope, as_of: None, out } })
    }

    /// The same export of the versions in force on `as_of` (`None`: the current versions).
    #[must_use]
    pub fn as_of(mut self, as_of: Option<Date>) -> ExportRequest {
        self.options.as_of = as_of;
        self
    }
}

/// Exports every loaded source, pseudonymised, as the request says.
pub async fn export(store: &impl RecordStore, keys: Keyring, request: &ExportRequest) -> Result<ExportManifest, Error> {
    let cipher = FieldCipher::new(keys, OsNonces);
    Ok(export_pseudonymised(store, &cipher, &request.options).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_that_is_not_pseudonymised_is_refused() {
        let e = ExportRequest::new(false, "s".into(), PathBuf::from("out")).expect_err("refused");
        assert_eq!(e.field(), Some("pseudonymised"));
        assert!(ExportRequest::new(true, "s".into(), PathBuf::from("out")).is_ok());
    }
}
