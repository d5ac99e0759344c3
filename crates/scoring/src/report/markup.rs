//! Text that goes into the report's HTML: escaping of anything that came from data, and number formats.
//!
//! Every string that is not a literal of this module tree passes through [`escape`] before it is written, so a
//! feature named `<script>` stays text. Numbers are formatted here so that the same input always gives the same
//! bytes: fixed decimals, no negative zero, `n/a` for a value that is not finite.

use std::fmt::Write;

/// `text` made safe as HTML text and as a double- or single-quoted attribute value. Control characters other than
/// tab, newline and carriage return become U+FFFD: they are not allowed in HTML and some come from broken CSVs.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `x` with `decimals` decimals; `n/a` when not finite. A value that rounds to zero is never printed as `-0.00`.
pub(crate) fn fixed(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let s = format!("{x:.decimals$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.into(),
        _ => s,
    }
}

/// `share` (a fraction) as a percentage with `decimals` decimals: `0.1234` → `12.34%`.
pub(crate) fn percent(share: f64, decimals: usize) -> String {
    if !share.is_finite() {
        return "n/a".into();
    }
    format!("{}%", fixed(share * 100.0, decimals))
}

/// A count with thousands separators: `1234567` → `1,234,567`.
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A coordinate for SVG markup: at most `decimals` decimals, trailing zeros dropped (`0.5`, `12`, `0.1234`).
pub(crate) fn coord(x: f64, decimals: usize) -> String {
    let s = fixed(x, decimals);
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').into() } else { s }
}

/// The exact value of `x` for a `data-value` attribute: Rust's shortest representation that reads back to the same
/// `f64`, so tests and tools can compare it bit for bit.
pub(crate) fn exact(x: f64) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = write!(s, "{x}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_control_characters() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(escape("年龄 [26, 40)\u{0}"), "年龄 [26, 40)\u{FFFD}");
    }

    #[test]
    fn numbers_are_stable_and_readable() {
        assert_eq!(fixed(0.775_51, 4), "0.7755");
        assert_eq!(fixed(-0.000_01, 4), "0.0000");
        assert_eq!(fixed(-0.5, 2), "-0.50");
        assert_eq!(fixed(f64::NAN, 2), "n/a");
        assert_eq!(percent(0.123_456, 2), "12.35%");
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(coord(0.5, 4), "0.5");
        assert_eq!(coord(12.0, 2), "12");
        assert_eq!(coord(-0.000_01, 4), "0");
        assert_eq!(exact(0.1 + 0.2).parse::<f64>(), Ok(0.1 + 0.2));
    }
}
