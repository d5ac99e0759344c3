//! The kinds of personal field this crate protects, and how each is normalised before it is hashed.
//!
//! The kind is bound into every sealed token (as AES-GCM associated data) and into every blind index, so a phone
//! number's ciphertext cannot be pasted into the ID-number column and two fields with the same text never share an
//! index. Normalisation makes the blind index of `11010519491231002x` and ` 11010519491231002X` the same value, so
//! joins and de-duplication do not depend on how a clerk typed the number.

use std::fmt;

/// A kind of personal field. Its [`FieldKind::as_str`] name appears in tokens and is hashed into blind indexes, so
/// the names are part of the stored format and never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldKind {
    /// A resident identity card number (身份证号码).
    NationalId,
    /// A person's name (姓名).
    Name,
    /// A phone number, mobile or landline (手机号码).
    Phone,
    /// A bank card or account number (银行卡号 / 账号).
    BankCard,
    /// A postal address (住址).
    Address,
}

impl FieldKind {
    /// Every kind, in declaration order.
    pub const ALL: [FieldKind; 5] =
        [FieldKind::NationalId, FieldKind::Name, FieldKind::Phone, FieldKind::BankCard, FieldKind::Address];

    /// The stable snake_case name used in tokens: `national_id`, `name`, `phone`, `bank_card`, `address`.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::NationalId => "national_id",
            FieldKind::Name => "name",
            FieldKind::Phone => "phone",
            FieldKind::BankCard => "bank_card",
            FieldKind::Address => "address",
        }
    }

    /// The kind with this [`FieldKind::as_str`] name, if any.
    pub fn from_name(name: &str) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Normalises a value of `kind` for hashing; idempotent (normalising twice changes nothing).
///
/// - national ID: whitespace removed, letters upper-cased (`x` → `X`);
/// - phone: digits only, and a `86` / `0086` country prefix dropped from a 13- / 15-digit mainland mobile number;
/// - bank card: digits only;
/// - name and address: trimmed, inner runs of whitespace (including the ideographic space U+3000) made one space.
pub fn normalise(kind: FieldKind, value: &str) -> String {
    match kind {
        FieldKind::NationalId => normalise_national_id(value),
        FieldKind::Phone => normalise_phone(value),
        FieldKind::BankCard => digits(value),
        FieldKind::Name | FieldKind::Address => normalise_text(value),
    }
}

/// A national ID with whitespace removed and letters upper-cased.
pub fn normalise_national_id(value: &str) -> String {
    // The usual case, ASCII digits and letters only, without a walk through Unicode case mapping.
    if value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return value.to_ascii_uppercase();
    }
    value.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect()
}

/// A phone number as digits only, without the `86` country prefix of a mainland mobile number.
pub fn normalise_phone(value: &str) -> String {
    let all = digits(value);
    let mobile = |rest: &str| rest.len() == 11 && rest.starts_with('1');
    match (all.strip_prefix("0086"), all.strip_prefix("86")) {
        (Some(rest), _) if mobile(rest) => rest.to_owned(),
        (_, Some(rest)) if mobile(rest) => rest.to_owned(),
        _ => all,
    }
}

/// Text trimmed, with every inner run of whitespace replaced by one ASCII space.
pub fn normalise_text(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The ASCII digits of `value`, in order.
fn digits(value: &str) -> String {
    value.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in FieldKind::ALL {
            assert_eq!(FieldKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(FieldKind::from_name("ssn"), None);
    }

    #[test]
    fn normalisation_examples() {
        assert_eq!(normalise(FieldKind::NationalId, " 11010519491231002x "), "11010519491231002X");
        assert_eq!(normalise(FieldKind::Phone, "+86 180-0000-1999"), "18000001999");
        assert_eq!(normalise(FieldKind::Phone, "0086 18000001999"), "18000001999");
        assert_eq!(normalise(FieldKind::Phone, "0731-8888 8888"), "073188888888");
        assert_eq!(normalise(FieldKind::BankCard, "6222 0212 3456 7893 256"), "6222021234567893256");
        assert_eq!(normalise(FieldKind::Name, "\u{3000}段 正淳  "), "段 正淳");
        assert_eq!(normalise(FieldKind::Address, " 湖南省  常德市\t武陵区 "), "湖南省 常德市 武陵区");
    }
}
