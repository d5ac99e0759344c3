//! Property tests: round trips of arbitrary UTF-8, normalisation idempotence, masking never reveals the middle.

use privacy::{FieldCipher, FieldKind, OsNonces, mask_national_id, normalise};
use proptest::prelude::*;

use crate::{cipher, k1_only, keyring};

fn kinds() -> impl Strategy<Value = FieldKind> {
    prop::sample::select(FieldKind::ALL.to_vec())
}

proptest! {
    #[test]
    fn any_text_round_trips(kind in kinds(), text in any::<String>()) {
        let cipher = cipher(&k1_only());
        let token = cipher.seal(kind, &text).expect("seal");
        let opened = cipher.open(kind, token.as_str()).expect("open");
        prop_assert_eq!(opened.expose(), text.as_str());
    }

    #[test]
    fn any_text_round_trips_with_os_nonces(text in "\\PC{0,64}") {
        let cipher = FieldCipher::new(keyring(&k1_only()), OsNonces);
        let token = cipher.seal(FieldKind::Address, &text).expect("seal");
        let opened = cipher.open(FieldKind::Address, token.as_str()).expect("open");
        prop_assert_eq!(opened.expose(), text.as_str());
    }

    #[test]
    fn normalisation_is_idempotent(kind in kinds(), text in any::<String>()) {
        let once = normalise(kind, &text);
        prop_assert_eq!(normalise(kind, &once), once.clone());
        let ring = keyring(&k1_only());
        prop_assert_eq!(ring.blind_index(kind, &text), ring.blind_index(kind, &once));
    }

    #[test]
    fn masked_ids_hide_the_birth_date(digits in "[0-9]{17}[0-9X]") {
        let masked = mask_national_id(&digits);
        prop_assert_eq!(&masked[..6], &digits[..6]);
        prop_assert_eq!(&masked[6..14], "********");
        prop_assert_eq!(&masked[14..], &digits[14..]);
    }
}
