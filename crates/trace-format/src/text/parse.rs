//! The nom parsers of Go's raw text format (`internal/trace/raw.TextReader`): lines, tokens,
//! `name=value` arguments, the `Trace Go1.N` header, event lines, stack frame lines and data
//! lines, over borrowed bytes.
//!
//! Every parser takes the bytes still to read and returns what it leaves, as nom's
//! [`IResult`]; its error, [`TextError`], is where in those bytes the parser stopped and what it
//! expected there, and says so in Go's words (its [`Display`](fmt::Display)), which
//! [`TextReader`](super::TextReader) puts in an [`ErrorKind::Text`](crate::ErrorKind::Text)
//! with the line number.
//!
//! Whitespace is Unicode's, as Go's `unicode.IsSpace` and `strings.Fields` have it, over the
//! bytes decoded as Go's `range` over a string does (an invalid byte is one non-space
//! character); ASCII, nearly all of any real text, takes a fast path.
//!
//! ```
//! use trace_format::text::parse::{arg, token};
//! let (rest, tok) = token(b"  GoStart dt=3 g=1").unwrap();
//! assert_eq!((tok, rest), (&b"GoStart"[..], &b" dt=3 g=1"[..]));
//! let (rest, dt) = arg("dt")(rest).unwrap();
//! assert_eq!((dt, rest), (3, &b" g=1"[..]));
//! let nom::Err::Error(e) = arg("dt")(rest).unwrap_err() else { unreachable!() };
//! assert_eq!(e.to_string(), r#"expected argument "dt", but got "g""#);
//! ```

use super::quote;
use crate::event::RawFrame;
use crate::spec::{self, EventSpec, EventType, MAX_ARGS};
use crate::version::Version;
use nom::{Err, IResult};
use std::borrow::Cow;
use std::fmt;

/// What the parsers of the text format return: the bytes left and the value read, or the error.
pub type TResult<'a, T> = IResult<&'a [u8], T, TextError<'a>>;

/// The error of a parser of the text format: the input where it stopped and what it expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextError<'a> {
    input: &'a [u8],
    expected: Expected<'a>,
    /// The event whose arguments were being read, if any: Go says so first.
    event: Option<&'static str>,
}

/// What a parser of the text format expected, with what it found instead.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected<'a> {
    /// A line: the input has ended.
    Line,
    /// The `Trace` of the header line.
    Header,
    /// The `Go1.N` of the header line.
    HeaderVersion,
    /// A Go version this crate reads: `1.N`, `N` the one found.
    Version(u64),
    /// An event's name, the token found.
    Event(&'a [u8]),
    /// An argument; there was none.
    Argument,
    /// An argument as `name=value`, the token found.
    ArgumentPair(&'a [u8]),
    /// The argument `name`, the name found.
    ArgumentName {
        /// The name expected.
        name: &'static str,
        /// The name found.
        got: &'a [u8],
    },
    /// A decimal `u64` value of argument `arg`, the value found.
    Value {
        /// The value found.
        value: &'a [u8],
        /// The argument's name.
        arg: &'a [u8],
    },
    /// Nothing but whitespace to the end of `what`'s line, the rest found.
    EndOfLine {
        /// `"the header"` or `"an event"`.
        what: &'static str,
        /// What follows.
        rest: &'a [u8],
    },
    /// A data line, `data=` then a quoted string, the line found.
    DataLine(&'a [u8]),
    /// The quoted string of a data line, the line found.
    Data(&'a [u8]),
}

impl<'a> TextError<'a> {
    /// The error of a parser given `input`, which expected `expected`.
    pub fn new(input: &'a [u8], expected: Expected<'a>) -> TextError<'a> {
        TextError {
            input,
            expected,
            event: None,
        }
    }

    /// The input at which the parser stopped: its offset in a text is the text's length less
    /// this one's.
    pub fn input(&self) -> &'a [u8] {
        self.input
    }

    /// What was expected there.
    pub fn expected(&self) -> &Expected<'a> {
        &self.expected
    }

    /// The same error, in reading the arguments of `event`.
    fn in_event(mut self, event: &'static str) -> TextError<'a> {
        self.event = Some(event);
        self
    }
}

fn lossy(s: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(s)
}

/// Go's message.
impl fmt::Display for TextError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Expected as E;
        if let Some(event) = self.event {
            write!(f, "reading args for {event}: ")?;
        }
        match &self.expected {
            E::Line => f.write_str("unexpected end of input"),
            E::Header => f.write_str("failed to parse header"),
            E::HeaderVersion => f.write_str("failed to parse header Go version"),
            E::Version(minor) => write!(f, "unknown or unsupported Go version 1.{minor}"),
            E::Event(name) => write!(f, "unidentified event: {}", lossy(name)),
            E::Argument => f.write_str("no argument"),
            E::ArgumentPair(tok) => write!(f, "malformed argument: {:?}", lossy(tok)),
            E::ArgumentName { name, got } => {
                write!(f, "expected argument {name:?}, but got {:?}", lossy(got))
            }
            E::Value { value, arg } => write!(
                f,
                "failed to parse argument value {:?} for arg {:?}",
                lossy(value),
                lossy(arg)
            ),
            E::EndOfLine { what, rest } => write!(
                f,
                "encountered unexpected non-space at the end of {what}: {:?}",
                lossy(rest)
            ),
            E::DataLine(line) => write!(f, "malformed data: {:?}", lossy(line)),
            E::Data(line) => write!(f, "failed to parse data: {:?}", lossy(line)),
        }
    }
}

impl std::error::Error for TextError<'_> {}

/// nom's own parsers fail only where a line was expected.
impl<'a> nom::error::ParseError<&'a [u8]> for TextError<'a> {
    fn from_error_kind(input: &'a [u8], _: nom::error::ErrorKind) -> Self {
        TextError::new(input, Expected::Line)
    }

    /// The innermost error says best what was expected.
    fn append(_: &'a [u8], _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

#[inline]
fn fail<'a, T>(input: &'a [u8], expected: Expected<'a>) -> TResult<'a, T> {
    Err(Err::Error(TextError::new(input, expected)))
}

/// One line as Go's `bufio.ScanLines` splits them: up to a `\n` (consumed) or the end, one
/// trailing `\r` dropped. An error ([`Expected::Line`]) when nothing is left.
#[inline]
pub fn line(input: &[u8]) -> TResult<'_, &[u8]> {
    if input.is_empty() {
        return fail(input, Expected::Line);
    }
    let (line, rest) = match input.iter().position(|&b| b == b'\n') {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (input, &[][..]),
    };
    Ok((rest, line.strip_suffix(b"\r").unwrap_or(line)))
}

/// The character at the start of `s`, as Go's `range` over a string decodes it: `None` for an
/// invalid byte, which is one character; and its width.
#[inline]
fn next_char(s: &[u8]) -> (Option<char>, usize) {
    match s.first() {
        Some(&b) if b < 0x80 => (Some(char::from(b)), 1),
        _ => match quote::decode_rune(s) {
            Some((c, w)) => (Some(c), w),
            None => (None, 1),
        },
    }
}

/// The width of the whitespace character at the start of `s`, if it starts with one.
#[inline]
fn space_at(s: &[u8]) -> Option<usize> {
    match s.first()? {
        b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r' => Some(1),
        &b if b < 0x80 => None,
        _ => match next_char(s) {
            (Some(c), w) if c.is_whitespace() => Some(w),
            _ => None,
        },
    }
}

/// Whitespace, none or more: never fails.
#[inline]
pub fn space(mut input: &[u8]) -> TResult<'_, ()> {
    while let Some(w) = space_at(input) {
        input = &input[w..];
    }
    Ok((input, ()))
}

/// The next token: whitespace skipped, then everything up to whitespace, a `#` or the end. A `#`
/// where a token would start makes the rest of the line a comment: the token is empty and
/// nothing is left. Never fails; the token is empty at the end of the line.
#[inline]
pub fn token(input: &[u8]) -> TResult<'_, &[u8]> {
    let (s, ()) = space(input)?;
    if s.first() == Some(&b'#') {
        return Ok((&[], &[]));
    }
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        let w = match b {
            b'#' => break,
            b if b < 0x80 && space_at(&s[i..]).is_some() => break,
            b if b < 0x80 => 1,
            _ => match next_char(&s[i..]) {
                (Some(c), _) if c.is_whitespace() => break,
                (_, w) => w,
            },
        };
        i += w;
    }
    Ok((&s[i..], &s[..i]))
}

/// Nothing but whitespace to the end of the line of `what` (`"the header"`, `"an event"`).
#[inline]
pub fn end_of_line<'a>(what: &'static str) -> impl Fn(&'a [u8]) -> TResult<'a, ()> {
    move |input| match space(input)? {
        ([], ()) => Ok((&[], ())),
        _ => fail(input, Expected::EndOfLine { what, rest: input }),
    }
}

/// A decimal `u64`, as Go's `strconv.ParseUint(s, 10, 64)` reads one: digits only, no sign,
/// none too many.
#[inline]
fn decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, &d| {
        if !d.is_ascii_digit() {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// The argument `name=value` (one token), its value a decimal `u64`.
#[inline]
pub fn arg<'a>(name: &'static str) -> impl Fn(&'a [u8]) -> TResult<'a, u64> {
    move |input| {
        let (rest, tok) = token(input)?;
        if tok.is_empty() {
            return fail(input, Expected::Argument);
        }
        let Some(eq) = tok.iter().position(|&b| b == b'=') else {
            return fail(input, Expected::ArgumentPair(tok));
        };
        let (got, value) = (&tok[..eq], &tok[eq + 1..]);
        if got != name.as_bytes() {
            return fail(input, Expected::ArgumentName { name, got });
        }
        match decimal(value) {
            Some(v) => Ok((rest, v)),
            None => fail(input, Expected::Value { value, arg: got }),
        }
    }
}

/// The arguments `names`, in that order, into `out`, then the end of the line.
#[inline]
fn args<'a>(mut input: &'a [u8], names: &[&'static str], out: &mut [u64]) -> TResult<'a, ()> {
    for (&name, slot) in names.iter().zip(out.iter_mut()) {
        let (rest, v) = arg(name)(input)?;
        *slot = v;
        input = rest;
    }
    end_of_line("an event")(input)
}

/// The header line, `Trace Go1.N`: the version.
pub fn header(input: &[u8]) -> TResult<'_, Version> {
    let (rest, tok) = token(input)?;
    if tok != b"Trace" {
        return fail(input, Expected::Header);
    }
    let (rest, go) = token(rest)?;
    let Some(minor) = go.strip_prefix(b"Go1.").and_then(decimal) else {
        return fail(rest, Expected::HeaderVersion);
    };
    let Some(version) = u32::try_from(minor).ok().and_then(Version::from_minor) else {
        return fail(rest, Expected::Version(minor));
    };
    let (rest, ()) = end_of_line("the header")(rest)?;
    Ok((rest, version))
}

/// An event line of `version`'s format after its name `name` (its first token), `input` the
/// rest of the line: the event's spec and arguments (those past its spec's, 0).
#[inline]
pub fn event<'a>(
    version: Version,
    name: &'a [u8],
    input: &'a [u8],
) -> TResult<'a, (&'static EventSpec, EventType, [u64; MAX_ARGS])> {
    let found = std::str::from_utf8(name)
        .ok()
        .and_then(|n| spec::by_name(version, n))
        .and_then(|ty| Some((spec::lookup(version, ty)?, ty)));
    let Some((spec, ty)) = found else {
        return fail(name, Expected::Event(name));
    };
    let mut a = [0; MAX_ARGS];
    let (rest, ()) =
        args(input, spec.args, &mut a).map_err(|e| e.map(|e| e.in_event(spec.name)))?;
    Ok((rest, (spec, ty, a)))
}

const FRAME_FIELDS: [&str; 4] = ["pc", "func", "file", "line"];

/// A stack frame line, `pc=N func=N file=N line=N` (Go 1.5: `pc=N` only).
#[inline]
pub fn frame(version: Version, input: &[u8]) -> TResult<'_, RawFrame> {
    let fields = match version {
        Version::Go1_5 => &FRAME_FIELDS[..1],
        _ => &FRAME_FIELDS[..],
    };
    let mut f = [0; 4];
    let (rest, ()) = args(input, fields, &mut f)?;
    let [pc, func, file, line] = f;
    Ok((
        rest,
        RawFrame {
            pc,
            func,
            file,
            line,
        },
    ))
}

/// A data line, `data=` (whitespace about the name and the value) then a string quoted as Go's
/// `strconv.Unquote` reads one: its bytes.
pub fn data(line: &[u8]) -> TResult<'_, Vec<u8>> {
    let Some(eq) = line.iter().position(|&b| b == b'=') else {
        return fail(line, Expected::DataLine(line));
    };
    if trim_space(&line[..eq]) != b"data" {
        return fail(line, Expected::DataLine(line));
    }
    match quote::unquote(trim_space(&line[eq + 1..])) {
        Some(bytes) => Ok((&[], bytes)),
        None => fail(line, Expected::Data(line)),
    }
}

/// Trims whitespace at both ends, as Go's `strings.TrimSpace`.
pub(crate) fn trim_space(s: &[u8]) -> &[u8] {
    let (mut s, ()) = match space(s) {
        Ok(x) => x,
        Err(_) => (s, ()),
    };
    loop {
        // Step back over one character at a time from the end.
        let start = (1..=4.min(s.len()))
            .map(|w| s.len() - w)
            .find(|&i| quote::decode_rune(&s[i..]).is_some_and(|(_, w)| i + w == s.len()));
        match start {
            Some(i) if space_at(&s[i..]).is_some() => s = &s[..i],
            _ => return s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(token(b"  Go  x").unwrap(), (&b"  x"[..], &b"Go"[..]));
        assert_eq!(token(b"  # c").unwrap(), (&b""[..], &b""[..]));
        assert_eq!(token(b"a#b").unwrap(), (&b"#b"[..], &b"a"[..]));
        assert_eq!(token("\u{a0}x".as_bytes()).unwrap(), (&b""[..], &b"x"[..]));
        assert_eq!(token("x\u{85}y".as_bytes()).unwrap().1, b"x");
        // An invalid byte is a character of a token, never whitespace.
        assert_eq!(token(b"\xc2x y").unwrap().1, b"\xc2x");
        assert_eq!(trim_space(" \t x y \u{3000}".as_bytes()), b"x y");
        assert_eq!(line(b"a\r\nb").unwrap(), (&b"b"[..], &b"a"[..]));
        assert!(line(b"").is_err());
    }

    #[test]
    fn errors_say_what_was_expected_and_where() {
        let input = b" g=1 x";
        let e = match end_of_line("an event")(&input[4..]) {
            Err(Err::Error(e)) => e,
            r => panic!("{r:?}"),
        };
        assert_eq!(input.len() - e.input().len(), 4);
        assert_eq!(
            e.to_string(),
            r#"encountered unexpected non-space at the end of an event: " x""#
        );
        let text = b"ProcStop dt=x";
        let (rest, name) = token(text).unwrap();
        let Err(Err::Error(e)) = event(Version::Go1_22, name, rest) else {
            panic!()
        };
        assert_eq!(text.len() - e.input().len(), 8);
        assert_eq!(
            e.to_string(),
            r#"reading args for ProcStop: failed to parse argument value "x" for arg "dt""#
        );
        assert!(
            matches!(header(b"Trace Go1.99"), Err(Err::Error(e)) if e.expected() == &Expected::Version(99))
        );
    }
}
