//! Usernames that cannot look alike.
//!
//! A [`Username`] is NFKC-normalised and lowercased, then held to a narrow ASCII alphabet so that what a reviewer
//! reads on screen is what the system compares: `alice` and `alice` followed by a zero-width space, or `аlice`
//! with a Cyrillic `а`, are refused rather than stored as two people. Within the alphabet some names still look
//! alike (`rn` and `m`, `0` and `o`); [`Username::skeleton`] maps them to one form so the store can refuse a second
//! account whose skeleton matches an existing one.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// Why a text is not a username. The message names the reason; it quotes the text only as code points where the
/// character itself would not show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameRefusal {
    /// Fewer than [`Username::MIN_CHARS`] or more than [`Username::MAX_CHARS`] characters after normalisation.
    #[error("username must be {min} to {max} characters long, not {chars}", min = Username::MIN_CHARS, max = Username::MAX_CHARS)]
    Length {
        /// Characters after normalisation.
        chars: usize,
    },
    /// An invisible or format character (zero-width space, joiner, bidi control, soft hyphen, …).
    #[error("username contains an invisible character U+{code:04X}")]
    Invisible {
        /// The code point.
        code: u32,
    },
    /// A letter outside ASCII left after NFKC, which may pass for an ASCII one (Cyrillic `а` for `a`).
    #[error("username contains the non-ASCII letter U+{code:04X} '{letter}', which can look like an ASCII letter")]
    NonAsciiLetter {
        /// The code point.
        code: u32,
        /// The letter.
        letter: char,
    },
    /// Any other character outside `a-z`, `0-9`, `.`, `_` and `-` (a space, `@`, a CJK character, …).
    #[error("username contains U+{code:04X}; only a-z, 0-9, '.', '_' and '-' are allowed")]
    Character {
        /// The code point.
        code: u32,
    },
    /// The first character is `.`, `_` or `-`.
    #[error("username must start with a letter or digit")]
    Start,
}

/// A normalised username: 3 to 32 characters of `[a-z0-9._-]`, starting with a letter or digit, so it is also a
/// valid `domain::OfficerId`.
///
/// Invariant: the text is its own NFKC and lowercase form and in that alphabet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

/// Whether `c` draws nothing or changes how the text around it is drawn: format characters (category Cf), the
/// joiners and bidi controls among them, fillers that render blank, variation selectors and tag characters.
fn invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD            // soft hyphen
        | 0x034F          // combining grapheme joiner
        | 0x061C          // Arabic letter mark
        | 0x115F | 0x1160 // Hangul fillers
        | 0x17B4 | 0x17B5 // Khmer inherent vowels
        | 0x180B..=0x180F // Mongolian variation selectors and vowel separator
        | 0x200B..=0x200F // zero-width space, non-joiner, joiner, LRM, RLM
        | 0x202A..=0x202E // bidi embeddings and overrides
        | 0x2060..=0x206F // word joiner, invisible operators, bidi isolates, deprecated formats
        | 0x3164          // Hangul filler
        | 0xFE00..=0xFE0F // variation selectors
        | 0xFEFF          // zero-width no-break space (BOM)
        | 0xFFA0          // halfwidth Hangul filler
        | 0xFFF9..=0xFFFB // interlinear annotation
        | 0x1BCA0..=0x1BCA3 // shorthand format controls
        | 0x1D173..=0x1D17A // musical symbol formats
        | 0xE0000..=0xE007F // tags
        | 0xE0100..=0xE01EF // variation selectors supplement
    ) || c.is_control()
}

impl Username {
    /// Fewest characters.
    pub const MIN_CHARS: usize = 3;
    /// Most characters.
    pub const MAX_CHARS: usize = 32;

    /// Normalises (NFKC, then lowercase) and checks `text`.
    pub fn parse(text: &str) -> Result<Username, UsernameRefusal> {
        // Invisible characters are refused before normalisation too: NFKC keeps most of them, but it would fold
        // some (a soft hyphen survives, a fullwidth form does not) and the reason should name what was typed.
        if let Some(c) = text.chars().find(|c| invisible(*c)) {
            return Err(UsernameRefusal::Invisible { code: c as u32 });
        }
        let normal: String = text.nfkc().flat_map(char::to_lowercase).collect();
        for c in normal.chars() {
            if invisible(c) {
                return Err(UsernameRefusal::Invisible { code: c as u32 });
            }
            if !c.is_ascii() && c.is_alphabetic() {
                return Err(UsernameRefusal::NonAsciiLetter { code: c as u32, letter: c });
            }
            if !matches!(c, 'a'..='z' | '0'..='9' | '.' | '_' | '-') {
                return Err(UsernameRefusal::Character { code: c as u32 });
            }
        }
        let chars = normal.chars().count();
        if !(Username::MIN_CHARS..=Username::MAX_CHARS).contains(&chars) {
            return Err(UsernameRefusal::Length { chars });
        }
        if !normal.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(UsernameRefusal::Start);
        }
        Ok(Username(normal))
    }

    /// The username.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form two look-alike names share: `0`→`o`, `1` and `i`→`l`, `rn`→`m`, `vv`→`w`, and `.`, `_`, `-`
    /// dropped. Two accounts with one skeleton would be told apart only by a careful reader, so the store keeps one.
    pub fn skeleton(&self) -> String {
        let mapped: String = self
            .0
            .chars()
            .filter(|c| !matches!(c, '.' | '_' | '-'))
            .map(|c| match c {
                '0' => 'o',
                '1' | 'i' => 'l',
                other => other,
            })
            .collect();
        // Pairs after single letters, so `rn` with separators between (`r.n`) folds too.
        mapped.replace("rn", "m").replace("vv", "w")
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Username {
    type Err = UsernameRefusal;
    fn from_str(s: &str) -> Result<Username, UsernameRefusal> {
        Username::parse(s)
    }
}

impl TryFrom<String> for Username {
    type Error = UsernameRefusal;
    fn try_from(s: String) -> Result<Username, UsernameRefusal> {
        Username::parse(&s)
    }
}

impl From<Username> for String {
    fn from(u: Username) -> String {
        u.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_to_lowercase_nfkc() {
        assert_eq!(Username::parse("Alice.Wang").expect("valid").as_str(), "alice.wang");
        // Fullwidth letters are compatibility forms of ASCII ones.
        assert_eq!(Username::parse("ＡＬＩＣＥ").expect("valid").as_str(), "alice");
        assert_eq!(Username::parse("li_2-x").expect("valid").as_str(), "li_2-x");
    }

    #[test]
    fn invisible_characters_are_named() {
        let e = Username::parse("alice\u{200B}").expect_err("zero-width space");
        assert_eq!(e, UsernameRefusal::Invisible { code: 0x200B });
        assert!(e.to_string().contains("invisible character U+200B"), "{e}");
        for c in ['\u{200D}', '\u{202E}', '\u{2066}', '\u{FEFF}', '\u{00AD}', '\u{FE0F}', '\u{7}'] {
            let e = Username::parse(&format!("al{c}ice")).expect_err("invisible");
            assert_eq!(e, UsernameRefusal::Invisible { code: c as u32 });
        }
    }

    #[test]
    fn a_cyrillic_letter_is_refused_as_a_look_alike() {
        let e = Username::parse("\u{0430}lice").expect_err("Cyrillic a");
        assert!(matches!(e, UsernameRefusal::NonAsciiLetter { code: 0x0430, .. }), "{e:?}");
        assert!(e.to_string().contains("looks like") || e.to_string().contains("look like"), "{e}");
        assert!(matches!(Username::parse("王小明"), Err(UsernameRefusal::NonAsciiLetter { .. })));
        assert_eq!(Username::parse("al ice"), Err(UsernameRefusal::Character { code: 0x20 }));
        assert_eq!(Username::parse("al@ice"), Err(UsernameRefusal::Character { code: u32::from('@') }));
    }

    #[test]
    fn length_and_first_character_are_checked() {
        assert_eq!(Username::parse("ab"), Err(UsernameRefusal::Length { chars: 2 }));
        assert!(Username::parse("abc").is_ok());
        assert!(Username::parse(&"a".repeat(32)).is_ok());
        assert_eq!(Username::parse(&"a".repeat(33)), Err(UsernameRefusal::Length { chars: 33 }));
        assert_eq!(Username::parse(".alice"), Err(UsernameRefusal::Start));
        assert_eq!(Username::parse("_alice"), Err(UsernameRefusal::Start));
        assert!(Username::parse("7alice").is_ok());
    }

    #[test]
    fn every_username_is_an_officer_id() {
        for name in ["alice", "li.wei_2", "0-9", &"z".repeat(32)] {
            let u = Username::parse(name).expect("valid");
            assert!(domain::OfficerId::parse(u.as_str()).is_ok(), "{name}");
        }
    }

    #[test]
    fn look_alikes_share_a_skeleton() {
        let sk = |s: &str| Username::parse(s).expect("valid").skeleton();
        assert_eq!(sk("modern"), sk("rnodern"));
        assert_eq!(sk("bob"), sk("b0b"));
        assert_eq!(sk("lily"), sk("1i1y"));
        assert_eq!(sk("wang"), sk("vvang"));
        assert_eq!(sk("li.wei"), sk("liwei"));
        assert_eq!(sk("li_wei"), sk("li-wei"));
        assert_ne!(sk("alice"), sk("alicia"));
    }
}
