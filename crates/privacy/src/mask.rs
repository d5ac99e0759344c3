//! Masking for display, by the de-facto Chinese conventions, and [`Secret`], plaintext that prints masked.
//!
//! - national ID: first 6 and last 4 (`110101********123X`), hiding the birth date and the sex digit; valid
//!   numbers are masked by `domain::NationalId::masked`, anything else the same way by position;
//! - phone: first 3 and last 4 (`180****1999`), by `domain::MobileNumber::masked` for a mobile number;
//! - name: the surname only, then always two stars whatever the name's length (`段**`); the common two-character
//!   compound surnames (欧阳, 司马, …) are kept whole (`欧阳**`);
//! - bank card: first 4 and last 4 in the fixed grouping `6222 **** **** **** 3256`, hiding the length too;
//! - address: down to the district or county (区/县/旗) only, the rest starred.
//!
//! Values too short to hide anything by these rules are starred completely.

use std::fmt;

use domain::{MobileNumber, NationalId};
use zeroize::Zeroizing;

use crate::field::FieldKind;

/// Two-character compound surnames kept whole when a name is masked.
pub const COMPOUND_SURNAMES: [&str; 14] =
    ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐"];

/// Masks `value` as a field of `kind`.
pub fn mask(kind: FieldKind, value: &str) -> String {
    match kind {
        FieldKind::NationalId => mask_national_id(value),
        FieldKind::Name => mask_name(value),
        FieldKind::Phone => mask_phone(value),
        FieldKind::BankCard => mask_bank_card(value),
        FieldKind::Address => mask_address(value),
    }
}

/// A national ID with only the first 6 and last 4 characters shown: `110101********123X`.
///
/// A number that fails to parse (bad check digit, 15-digit old card, typo) is still masked by position: first 6,
/// a star for each hidden character, last 4; one shorter than 15 characters is starred completely.
pub fn mask_national_id(value: &str) -> String {
    if let Ok(id) = NationalId::parse(value) {
        return id.masked();
    }
    let chars: Vec<char> = value.chars().filter(|c| !c.is_whitespace()).collect();
    keep_ends(&chars, 6, 4, 15)
}

/// A phone number with only the first 3 and last 4 digits shown: `180****1999`.
///
/// Anything that is not a mainland mobile number is masked by its digits: 11 or more keep 3 and 4; 8 to 10 keep
/// the last 4 only; fewer are starred completely.
pub fn mask_phone(value: &str) -> String {
    if let Ok(mobile) = MobileNumber::parse(value) {
        return mobile.masked();
    }
    let digits: Vec<char> = value.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 11 { keep_ends(&digits, 3, 4, 11) } else { keep_ends(&digits, 0, 4, 8) }
}

/// A name reduced to its surname and two stars: `段**`, `欧阳**`. A one-character name is one star.
pub fn mask_name(value: &str) -> String {
    let name = value.trim();
    let surname = COMPOUND_SURNAMES
        .iter()
        .find(|compound| name.starts_with(**compound) && name.chars().count() > 2)
        .map(|compound| (*compound).to_owned())
        .or_else(|| name.chars().next().map(String::from));
    match surname {
        Some(_) if name.chars().count() == 1 => "*".to_owned(),
        Some(surname) => format!("{surname}**"),
        None => String::new(),
    }
}

/// A card or account number as its first 4 and last 4 digits: `6222 **** **** **** 3256`, whatever its length.
///
/// Numbers of 8 to 11 digits show the last 4 only (`**** 3256`); shorter ones are starred completely (`****`).
pub fn mask_bank_card(value: &str) -> String {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        12.. => format!("{} **** **** **** {}", &digits[..4], &digits[digits.len() - 4..]),
        8..12 => format!("**** {}", &digits[digits.len() - 4..]),
        _ => "****".to_owned(),
    }
}

/// An address cut after the district or county (the first 区, 县 or 旗), the rest replaced by `****`:
/// `湖南省常德市武陵区****`. An address without one keeps its first 6 characters.
pub fn mask_address(value: &str) -> String {
    let address = value.trim();
    let chars: Vec<char> = address.chars().collect();
    // The 区 of 自治区 is a province, not a district.
    let district = (0..chars.len())
        .find(|&at| matches!(chars[at], '区' | '县' | '旗') && !(chars[at] == '区' && at > 0 && chars[at - 1] == '治'));
    let keep = district.map_or(6, |at| at + 1);
    if keep >= chars.len() {
        return address.to_owned();
    }
    format!("{}****", chars[..keep].iter().collect::<String>())
}

/// `chars` with the first `head` and last `tail` kept and the rest starred, if it has at least `min_len`
/// characters; otherwise all starred.
fn keep_ends(chars: &[char], head: usize, tail: usize, min_len: usize) -> String {
    if chars.len() < min_len.max(head + tail + 1) {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - head - tail;
    chars[..head].iter().chain(std::iter::repeat_n(&'*', hidden)).chain(&chars[chars.len() - tail..]).collect()
}

/// The plaintext of a personal field, as [`crate::FieldCipher::open`] returns it: `Debug` and `Display` show only
/// the masked form, the text is reached through [`Secret::expose`], and it is wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    /// What kind of field it is, which decides the masking.
    kind: FieldKind,
    /// The plaintext.
    value: Zeroizing<String>,
}

impl Secret {
    /// Wraps the plaintext of a field of `kind`.
    pub fn new(kind: FieldKind, value: String) -> Secret {
        Secret { kind, value: Zeroizing::new(value) }
    }

    /// The kind of field.
    pub fn kind(&self) -> FieldKind {
        self.kind
    }

    /// The masked form, e.g. `110101********123X`.
    pub fn masked(&self) -> String {
        mask(self.kind, &self.value)
    }

    /// The plaintext. Call only where it is required (sealing, the credit bureau, the borrower's own view).
    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({}: {})", self.kind, self.masked())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallbacks_by_position() {
        // Wrong check digit: not a NationalId, masked the same way anyway.
        assert_eq!(mask_national_id("110101199003071231"), "110101********1231");
        assert_eq!(mask_national_id("110101900307123"), "110101*****7123");
        assert_eq!(mask_national_id("1101019003"), "**********");
        assert_eq!(mask_phone("0731-8888 8888"), "073*****8888");
        assert_eq!(mask_phone("8888 8888"), "****8888");
        assert_eq!(mask_phone("110"), "***");
        assert_eq!(mask_bank_card("1234 5678 90"), "**** 7890");
        assert_eq!(mask_bank_card("1234"), "****");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_name("段"), "*");
        assert_eq!(mask_name("欧阳"), "欧**");
    }

    #[test]
    fn addresses_stop_at_the_district() {
        assert_eq!(mask_address("湖南省常德市武陵区丹阳街道123号"), "湖南省常德市武陵区****");
        assert_eq!(mask_address("内蒙古自治区呼和浩特市"), "内蒙古自治区****");
        assert_eq!(mask_address("广西壮族自治区南宁市青秀区民族大道1号"), "广西壮族自治区南宁市青秀区****");
        assert_eq!(mask_address("某某村五组十号"), "某某村五组十****");
        assert_eq!(mask_address("桃源县"), "桃源县");
    }
}
