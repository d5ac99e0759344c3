//! Sealing, opening and rotating: round trips, every way a token can be refused, nonces, rotation.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use privacy::{CounterNonces, FieldCipher, FieldKind, KeyId, NonceSource, OsNonces, SealError, Sealed};

use crate::{INDEX, K1, K2, NATIONAL_ID, cipher, k1_only, keyring};

/// One plausible value of each kind.
fn samples() -> [(FieldKind, &'static str); 5] {
    [
        (FieldKind::NationalId, NATIONAL_ID),
        (FieldKind::Name, "欧阳修"),
        (FieldKind::Phone, "18000001999"),
        (FieldKind::BankCard, "6222021234567893256"),
        (FieldKind::Address, "湖南省常德市武陵区丹阳街道123号"),
    ]
}

#[test]
fn every_kind_round_trips() {
    let cipher = cipher(&k1_only());
    for (kind, value) in samples() {
        let token = cipher.seal(kind, value).expect("seal");
        assert!(token.as_str().starts_with(&format!("v1:k1:{}:", kind.as_str())), "{token}");
        assert!(!token.as_str().contains(value), "the plaintext is not in the token");
        assert_eq!(token.kind(), kind);
        assert_eq!(token.key_id().as_str(), "k1");
        assert_eq!(Sealed::parse(token.as_str()).as_ref(), Ok(&token));
        let opened = cipher.open(kind, token.as_str()).expect("open");
        assert_eq!(opened.expose(), value);
        assert_eq!(opened.kind(), kind);
    }
}

#[test]
fn empty_text_round_trips() {
    let cipher = cipher(&k1_only());
    let token = cipher.seal(FieldKind::Name, "").expect("seal");
    assert_eq!(cipher.open(FieldKind::Name, token.as_str()).expect("open").expose(), "");
}

/// Decodes a token's parts, lets `edit` change them, and puts it back together.
fn edited(token: &Sealed, edit: impl FnOnce(&mut Vec<String>)) -> String {
    let mut parts: Vec<String> = token.as_str().split(':').map(str::to_owned).collect();
    edit(&mut parts);
    parts.join(":")
}

#[test]
fn tampered_ciphertext_is_rejected() {
    let cipher = cipher(&k1_only());
    let token = cipher.seal(FieldKind::NationalId, NATIONAL_ID).expect("seal");
    let k1 = KeyId::parse("k1").expect("id");
    let flip = |at: usize| {
        edited(&token, |parts| {
            let mut bytes = URL_SAFE_NO_PAD.decode(&parts[4]).expect("base64");
            bytes[at] ^= 0x01;
            parts[4] = URL_SAFE_NO_PAD.encode(bytes);
        })
    };
    // A flipped bit in the ciphertext and in the tag.
    for at in [0, NATIONAL_ID.len() + 3] {
        assert_eq!(cipher.open(FieldKind::NationalId, &flip(at)), Err(SealError::Rejected { key_id: k1.clone() }));
    }
    let nonce = edited(&token, |parts| parts[3] = URL_SAFE_NO_PAD.encode([0u8; 12]));
    assert_eq!(cipher.open(FieldKind::NationalId, &nonce), Err(SealError::Rejected { key_id: k1.clone() }));
}

#[test]
fn a_token_cannot_move_to_another_field() {
    let cipher = cipher(&k1_only());
    let token = cipher.seal(FieldKind::Phone, "18000001999").expect("seal");
    // Asked for as the wrong kind: refused by name.
    assert_eq!(
        cipher.open(FieldKind::NationalId, token.as_str()),
        Err(SealError::WrongField { expected: FieldKind::NationalId, found: FieldKind::Phone })
    );
    // The kind in the token edited to match: the associated data no longer authenticates.
    let relabelled = edited(&token, |parts| parts[2] = "national_id".to_owned());
    assert_eq!(
        cipher.open(FieldKind::NationalId, &relabelled),
        Err(SealError::Rejected { key_id: KeyId::parse("k1").expect("id") })
    );
}

#[test]
fn unknown_key_is_named() {
    let sealer = cipher(&format!("index:{INDEX}\nk2:{K2}"));
    let token = sealer.seal(FieldKind::Name, "段正淳").expect("seal");
    let opener = cipher(&k1_only());
    let err = opener.open(FieldKind::Name, token.as_str()).expect_err("k2 is not in this ring");
    assert_eq!(err, SealError::UnknownKey { key_id: KeyId::parse("k2").expect("id") });
    assert_eq!(err.to_string(), "token was sealed under key `k2`, which is not in the keyring");
    // Same id, different bytes: authentication fails.
    let imposter = cipher(&format!("index:{INDEX}\nk2:{K1}"));
    assert!(matches!(imposter.open(FieldKind::Name, token.as_str()), Err(SealError::Rejected { .. })));
}

#[test]
fn malformed_tokens_are_told_apart() {
    let cipher = cipher(&k1_only());
    let good = cipher.seal(FieldKind::Name, "段正淳").expect("seal");
    let malformed = |text: &str| match cipher.open(FieldKind::Name, text) {
        Err(SealError::Malformed { reason }) => reason,
        other => panic!("{text:?} gave {other:?}"),
    };
    assert_eq!(malformed("段正淳"), "it does not start with `v1:`");
    assert_eq!(malformed(""), "it does not start with `v1:`");
    assert_eq!(malformed("v1:k1:name"), "it does not have five `:`-separated parts");
    assert_eq!(malformed(&format!("{good}:extra")), "it does not have five `:`-separated parts");
    assert_eq!(malformed(&edited(&good, |p| p[1] = "k 1".into())), "the key id is not valid");
    assert_eq!(malformed(&edited(&good, |p| p[2] = "ssn".into())), "the field kind is not known");
    assert_eq!(malformed(&edited(&good, |p| p[3] = "AAAA".into())), "the nonce is not 12 bytes of base64");
    assert_eq!(malformed(&edited(&good, |p| p[4] = "@@".into())), "the ciphertext is not base64");
    assert_eq!(
        malformed(&edited(&good, |p| p[4] = "AAAA".into())),
        "the ciphertext is shorter than the authentication tag"
    );
    assert_eq!(
        cipher.open(FieldKind::Name, &edited(&good, |p| p[0] = "v2".into())),
        Err(SealError::UnsupportedVersion { version: "v2".to_owned() })
    );
    // The unparsed text is never echoed back: it may be plaintext stored by mistake.
    let err = cipher.open(FieldKind::NationalId, NATIONAL_ID).expect_err("plaintext");
    assert!(!format!("{err} {err:?}").contains(NATIONAL_ID));
}

#[test]
fn counter_nonces_never_repeat_across_ten_thousand_seals() {
    let cipher = cipher(&k1_only());
    let mut nonces = HashSet::new();
    for n in 0..10_000 {
        let token = cipher.seal(FieldKind::Phone, "18000001999").expect("seal");
        let nonce = token.as_str().split(':').nth(3).expect("nonce part").to_owned();
        assert!(nonces.insert(nonce), "nonce repeated at seal {n}");
    }
    let source = CounterNonces::new(*b"uniq");
    let raw: HashSet<_> = (0..10_000).map(|_| source.next_nonce().expect("nonce")).collect();
    assert_eq!(raw.len(), 10_000);
}

#[test]
fn same_plaintext_seals_differently_but_indexes_alike() {
    let cipher = FieldCipher::new(keyring(&k1_only()), OsNonces);
    let tokens: HashSet<String> =
        (0..1_000).map(|_| cipher.seal(FieldKind::NationalId, NATIONAL_ID).expect("seal").into_string()).collect();
    assert_eq!(tokens.len(), 1_000, "random nonces make every token distinct");
    for token in &tokens {
        assert_eq!(cipher.open(FieldKind::NationalId, token).expect("open").expose(), NATIONAL_ID);
    }
    let index = cipher.blind_index(FieldKind::NationalId, NATIONAL_ID);
    assert_eq!(cipher.blind_index(FieldKind::NationalId, &NATIONAL_ID.to_lowercase()), index);
}

#[test]
fn rotation_moves_tokens_to_the_current_key_and_retires_the_old_one() {
    // Year 1: only k1.
    let old = cipher(&k1_only());
    let phone = old.seal(FieldKind::Phone, "18000001999").expect("seal");
    let id = old.seal(FieldKind::NationalId, NATIONAL_ID).expect("seal");
    assert_eq!(old.rotate(phone.as_str()).expect("rotate"), phone, "already under the current key: unchanged");

    // Year 2: k2 added and made current; k1 kept to read old tokens.
    let mut both = cipher(&format!("index:{INDEX}\nk1:{K1}\nk2:{K2}\ncurrent:k2"));
    assert_eq!(both.open(FieldKind::Phone, phone.as_str()).expect("old token").expose(), "18000001999");
    let rotated = both.rotate(phone.as_str()).expect("rotate");
    assert_eq!(rotated.key_id().as_str(), "k2");
    assert_eq!(rotated.kind(), FieldKind::Phone);
    assert!(rotated.as_str().starts_with("v1:k2:phone:"));
    assert_eq!(both.open(FieldKind::Phone, rotated.as_str()).expect("rotated").expose(), "18000001999");
    assert_eq!(both.rotate(rotated.as_str()).expect("again"), rotated, "rotating twice is a no-op");
    let fresh = both.seal(FieldKind::Name, "段正淳").expect("seal");
    assert_eq!(fresh.key_id().as_str(), "k2");
    // Blind indexes do not depend on the encryption keys.
    assert_eq!(both.blind_index(FieldKind::Phone, "18000001999"), old.blind_index(FieldKind::Phone, "18000001999"));

    // k1 removed: rotated tokens open, the one left behind names its missing key.
    both.keyring_mut().remove("k1").expect("k1 is not current");
    assert_eq!(both.open(FieldKind::Phone, rotated.as_str()).expect("rotated").expose(), "18000001999");
    let err = both.open(FieldKind::NationalId, id.as_str()).expect_err("k1 is gone");
    assert_eq!(err, SealError::UnknownKey { key_id: KeyId::parse("k1").expect("id") });
    assert!(err.to_string().contains("`k1`"));
    assert_eq!(both.rotate(id.as_str()), Err(err));
}

#[test]
fn rotation_refuses_tampered_tokens() {
    let old = cipher(&k1_only());
    let token = old.seal(FieldKind::Name, "段正淳").expect("seal");
    let relabelled = edited(&token, |parts| parts[2] = "address".into());
    let both = cipher(&format!("index:{INDEX}\nk2:{K2}\nk1:{K1}"));
    assert!(matches!(both.rotate(&relabelled), Err(SealError::Rejected { .. })));
}

#[test]
fn decrypted_text_prints_masked() {
    let cipher = cipher(&k1_only());
    let token = cipher.seal(FieldKind::NationalId, NATIONAL_ID).expect("seal");
    let secret = cipher.open(FieldKind::NationalId, token.as_str()).expect("open");
    assert_eq!(format!("{secret}"), "110101********123X");
    assert_eq!(format!("{secret:?}"), "Secret(national_id: 110101********123X)");
    let debug = format!("{cipher:?}");
    assert!(!debug.contains(K1) && !debug.contains(INDEX), "{debug}");
}
