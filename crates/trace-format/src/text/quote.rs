//! Go's `strconv.Quote` and `strconv.Unquote`, byte for byte, for the data lines of the raw text
//! format. Go decodes the bytes as UTF-8 one rune at a time, escaping invalid bytes as `\xHH` and
//! runes that `strconv.IsPrint` rejects.

use super::isprint::PRINTABLE;
use std::fmt::{self, Write};

/// Decodes one rune at the start of `b` as Go's `utf8.DecodeRune` does: `None` for an invalid or
/// incomplete sequence, which Go treats as one byte of `RuneError`.
pub(crate) fn decode_rune(b: &[u8]) -> Option<(char, usize)> {
    let width = match *b.first()? {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let s = std::str::from_utf8(b.get(..width)?).ok()?;
    s.chars().next().map(|c| (c, width))
}

fn is_print(c: char) -> bool {
    let r = c as u32;
    // Binary search over the sorted, disjoint ranges.
    PRINTABLE
        .binary_search_by(|&(lo, hi)| {
            if hi < r {
                std::cmp::Ordering::Less
            } else if lo > r {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Writes `data` as Go's `strconv.Quote(string(data))` would.
pub fn write_quoted<W: Write>(w: &mut W, data: &[u8]) -> fmt::Result {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    w.write_char('"')?;
    let mut i = 0;
    while i < data.len() {
        let Some((c, width)) = decode_rune(&data[i..]) else {
            let b = data[i];
            w.write_str("\\x")?;
            w.write_char(HEX[(b >> 4) as usize] as char)?;
            w.write_char(HEX[(b & 15) as usize] as char)?;
            i += 1;
            continue;
        };
        i += width;
        match c {
            '"' => w.write_str("\\\"")?,
            '\\' => w.write_str("\\\\")?,
            _ if is_print(c) => w.write_char(c)?,
            '\u{7}' => w.write_str("\\a")?,
            '\u{8}' => w.write_str("\\b")?,
            '\u{c}' => w.write_str("\\f")?,
            '\n' => w.write_str("\\n")?,
            '\r' => w.write_str("\\r")?,
            '\t' => w.write_str("\\t")?,
            '\u{b}' => w.write_str("\\v")?,
            _ if (c as u32) < 0x20 || c == '\u{7f}' => write!(w, "\\x{:02x}", c as u32)?,
            _ if (c as u32) < 0x10000 => write!(w, "\\u{:04x}", c as u32)?,
            _ => write!(w, "\\U{:08x}", c as u32)?,
        }
    }
    w.write_char('"')
}

/// Go's `strconv.Quote(string(data))`.
pub fn quote(data: &[u8]) -> String {
    let mut s = String::with_capacity(data.len() + 2);
    // Writing to a String cannot fail.
    let _ = write_quoted(&mut s, data);
    s
}

fn hex_value(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// Go's `strconv.Unquote` for a double-quoted, back-quoted or single-quoted literal, returning the
/// bytes it denotes, or `None` where Go reports a syntax error.
pub fn unquote(s: &[u8]) -> Option<Vec<u8>> {
    let (&q, _) = s.split_first()?;
    if s.len() < 2 || s.last() != Some(&q) {
        return None;
    }
    let inner = &s[1..s.len() - 1];
    match q {
        b'`' => {
            if inner.contains(&b'`') {
                return None;
            }
            Some(inner.iter().copied().filter(|&b| b != b'\r').collect())
        }
        b'"' | b'\'' => unquote_escaped(inner, q),
        _ => None,
    }
}

fn unquote_escaped(mut s: &[u8], quote: u8) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut runes = 0;
    while let Some(&c) = s.first() {
        runes += 1;
        if c == quote || c == b'\n' {
            return None;
        }
        if c != b'\\' {
            if c < 0x80 {
                out.push(c);
                s = &s[1..];
            } else {
                match decode_rune(s) {
                    Some((_, w)) => {
                        out.extend_from_slice(&s[..w]);
                        s = &s[w..];
                    }
                    None => {
                        // Go turns an invalid byte into the encoding of U+FFFD.
                        out.extend_from_slice("\u{fffd}".as_bytes());
                        s = &s[1..];
                    }
                }
            }
            continue;
        }
        let (&e, rest) = s[1..].split_first()?;
        s = rest;
        let simple = match e {
            b'a' => Some(7),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'\\' => Some(b'\\'),
            b'\'' | b'"' if e == quote => Some(e),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        match e {
            b'x' | b'u' | b'U' => {
                let n = match e {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let digits = s.get(..n)?;
                let v = digits
                    .iter()
                    .try_fold(0u32, |acc, &d| Some(acc << 4 | hex_value(d)?))?;
                s = &s[n..];
                if e == b'x' {
                    out.push(v as u8);
                } else {
                    let c = char::from_u32(v)?;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
            b'0'..=b'7' => {
                let digits = s.get(..2)?;
                let mut v = u32::from(e - b'0');
                for &d in digits {
                    if !(b'0'..=b'7').contains(&d) {
                        return None;
                    }
                    v = v << 3 | u32::from(d - b'0');
                }
                if v > 255 {
                    return None;
                }
                s = &s[2..];
                out.push(v as u8);
            }
            _ => return None,
        }
    }
    // A single-quoted literal denotes exactly one rune.
    if quote == b'\'' && runes != 1 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_like_go() {
        // Expected values are what Go 1.27's strconv.Quote prints.
        let cases: &[(&[u8], &str)] = &[
            (b"hello", r#""hello""#),
            (b"a\"b\\c", r#""a\"b\\c""#),
            (
                b"\x00\x07\x08\x0c\n\r\t\x0b\x7f\x1b",
                r#""\x00\a\b\f\n\r\t\v\x7f\x1b""#,
            ),
            ("héllo 世界 😀".as_bytes(), "\"héllo 世界 😀\""),
            (b"\xff\xfe", r#""\xff\xfe""#),
            ("\u{a0}\u{ad}\u{2028}".as_bytes(), r#""\u00a0\u00ad\u2028""#),
            ("\u{e0001}".as_bytes(), r#""\U000e0001""#),
            (b"\xed\xa0\x80", r#""\xed\xa0\x80""#), // a surrogate is invalid UTF-8
            (b"\xe4\xb8", r#""\xe4\xb8""#),         // truncated rune
        ];
        for (input, want) in cases {
            assert_eq!(quote(input), *want, "{input:?}");
            assert_eq!(unquote(want.as_bytes()).as_deref(), Some(*input), "{want}");
        }
    }

    #[test]
    fn unquote_like_go() {
        assert_eq!(unquote(b"`a\\n\rb`").as_deref(), Some(&b"a\\nb"[..]));
        assert_eq!(
            unquote(br#""\101\u00e9\U0001F600""#).as_deref(),
            Some("Aé😀".as_bytes())
        );
        assert_eq!(unquote(b"'x'").as_deref(), Some(&b"x"[..]));
        assert_eq!(unquote(b"\"\xff\"").as_deref(), Some("\u{fffd}".as_bytes()));
        for bad in [
            &b"\""[..],
            b"\"abc",
            b"\"a\"b\"",
            b"\"\\'\"",
            b"\"\\400\"",
            b"\"\\ud800\"",
            b"\"\\x4\"",
            b"\"a\nb\"",
            b"'ab'",
            b"abc",
            b"\"\\q\"",
        ] {
            assert_eq!(unquote(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
