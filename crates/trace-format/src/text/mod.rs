//! Go's raw text format of a trace (`internal/trace/raw`): a `Trace Go1.N` line, then one event per
//! line as `Name arg=value ...`, with a stack's frames and an event's data on following
//! tab-indented lines.
//!
//! [`TextWriter`] writes exactly what Go's `raw.TextWriter` writes; [`TextReader`] reads what Go's
//! `raw.TextReader` reads (comments after `#`, blank lines, any Unicode whitespace between tokens).

mod isprint;
pub mod quote;

use crate::error::{Error, ErrorKind, Result};
use crate::event::{RawEvent, RawFrame, RawFrames};
use crate::spec::{self, EventType, MAX_ARGS};
use crate::version::Version;
use std::borrow::Cow;
use std::io::{self, Read, Write};

/// Writes events in Go's raw text format.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let text = "Trace Go1.22\nEventBatch gen=1 m=0 time=5 size=2\nProcStop dt=1\n";
/// let reader = trace_format::TextReader::new(text.as_bytes())?;
/// let mut out = Vec::new();
/// let mut writer = trace_format::TextWriter::new(&mut out, reader.version())?;
/// for event in reader {
///     writer.write_event(&event?)?;
/// }
/// assert_eq!(out, text.as_bytes());
/// # Ok(()) }
/// ```
pub struct TextWriter<W> {
    w: W,
    version: Version,
}

impl<W: Write> TextWriter<W> {
    /// Writes the header line `Trace Go1.N`.
    pub fn new(mut w: W, version: Version) -> io::Result<TextWriter<W>> {
        writeln!(w, "Trace Go1.{}", version.minor())?;
        Ok(TextWriter { w, version })
    }

    /// Writes one event and its following lines.
    pub fn write_event(&mut self, ev: &RawEvent<'_>) -> io::Result<()> {
        if ev.version() != self.version {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "mismatched version between writer ({}) and event ({})",
                    self.version,
                    ev.version()
                ),
            ));
        }
        writeln!(self.w, "{ev}")
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.w
    }
}

/// Streams a binary trace from `input` to `out` in the raw text format, one event at a time.
///
/// For Go 1.22+ traces this is exactly what Go's raw reader and `TextWriter` print
/// (`go tool trace -d=wire` after the `Trace Go1.N` line). Go has no text form of v1 traces; ours
/// is the same shape: `Trace Go1.N`, then each record as `Name arg=value ...` with the argument
/// names of [`crate::spec::specs`], stack frames and string or log data on following lines (Go
/// 1.5 frames show only `pc=`). On an error, the events before it have been written.
///
/// ```no_run
/// # fn main() -> Result<(), trace_format::Error> {
/// let file = std::fs::File::open("trace.out")?;
/// trace_format::text::write_text(file, std::io::stdout().lock())?;
/// # Ok(()) }
/// ```
pub fn write_text<R: Read, W: Write>(input: R, out: W) -> Result<()> {
    let mut reader = crate::StreamReader::new(input)?;
    let mut w = TextWriter::new(io::BufWriter::with_capacity(1 << 16, out), reader.version())?;
    let result = (|| {
        while let Some(event) = reader.next_raw_event()? {
            w.write_event(&event)?;
        }
        Ok(())
    })();
    w.into_inner().flush()?;
    result
}

/// Reads Go's raw text format into raw events. It ends after the first error.
pub struct TextReader<'a> {
    version: Version,
    lines: Lines<'a>,
    done: bool,
}

/// Lines as `bufio.ScanLines` splits them: on `\n`, dropping one trailing `\r`.
struct Lines<'a> {
    rest: &'a [u8],
    number: u64,
}

impl<'a> Lines<'a> {
    fn next_raw(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match self.rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, &[][..]),
        };
        self.rest = rest;
        self.number += 1;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }

    /// The next line holding a token: blank lines and comment lines are skipped.
    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let line = self.next_raw()?;
            if !read_token(line).0.is_empty() {
                return Some(line);
            }
        }
    }
}

/// Decodes the character at the start of `s` as Go's `range` over a string does: invalid bytes are
/// one byte each and never whitespace.
fn next_char(s: &[u8]) -> (Option<char>, usize) {
    match quote::decode_rune(s) {
        Some((c, w)) => (Some(c), w),
        None => (None, 1),
    }
}

fn is_space(c: Option<char>) -> bool {
    c.is_some_and(char::is_whitespace)
}

/// Splits off the first token: skips whitespace, stops at whitespace or `#`; a `#` before any
/// token makes the rest of the line a comment.
fn read_token(s: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'#' {
            return (&[], &[]);
        }
        let (c, w) = next_char(&s[i..]);
        if !is_space(c) {
            break;
        }
        i += w;
    }
    let start = i;
    while i < s.len() {
        let (c, w) = next_char(&s[i..]);
        if is_space(c) || s[i] == b'#' {
            return (&s[start..i], &s[i..]);
        }
        i += w;
    }
    (&s[start..], &[])
}

fn only_space(s: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() {
        let (c, w) = next_char(&s[i..]);
        if !is_space(c) {
            return false;
        }
        i += w;
    }
    true
}

/// Parses a decimal u64 as `strconv.ParseUint(s, 10, 64)` does.
fn parse_u64(s: &[u8]) -> Option<u64> {
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

fn lossy(s: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(s)
}

/// Reads `name=value` arguments in the order given, then nothing but whitespace.
fn read_args(mut s: &[u8], names: &[&str], out: &mut [u64]) -> std::result::Result<(), String> {
    for (name, slot) in names.iter().zip(out.iter_mut()) {
        let (tok, rest) = read_token(s);
        if tok.is_empty() {
            return Err("no argument".into());
        }
        let Some(eq) = tok.iter().position(|&b| b == b'=') else {
            return Err(format!("malformed argument: {:?}", lossy(tok)));
        };
        let (arg, val) = (&tok[..eq], &tok[eq + 1..]);
        if arg != name.as_bytes() {
            return Err(format!(
                "expected argument {name:?}, but got {:?}",
                lossy(arg)
            ));
        }
        *slot = parse_u64(val).ok_or_else(|| {
            format!(
                "failed to parse argument value {:?} for arg {:?}",
                lossy(val),
                lossy(arg)
            )
        })?;
        s = rest;
    }
    if !only_space(s) {
        return Err(format!(
            "encountered unexpected non-space at the end of an event: {:?}",
            lossy(s)
        ));
    }
    Ok(())
}

const FRAME_FIELDS: [&str; 4] = ["pc", "func", "file", "line"];

impl<'a> TextReader<'a> {
    /// Reads the header line `Trace Go1.N`.
    pub fn new(text: &'a [u8]) -> Result<TextReader<'a>> {
        let mut lines = Lines {
            rest: text,
            number: 0,
        };
        let err = |lines: &Lines<'_>, message: String| {
            Error::new(
                ErrorKind::Text {
                    line: lines.number,
                    message,
                },
                0,
            )
        };
        let Some(line) = lines.next() else {
            return Err(err(&lines, "missing header line".into()));
        };
        let (tok, rest) = read_token(line);
        if tok != b"Trace" {
            return Err(err(&lines, "failed to parse header".into()));
        }
        let (gover, rest) = read_token(rest);
        let Some(minor) = gover.strip_prefix(b"Go1.") else {
            return Err(err(&lines, "failed to parse header Go version".into()));
        };
        let Some(minor) = parse_u64(minor) else {
            return Err(err(&lines, "failed to parse header Go version".into()));
        };
        let version = u32::try_from(minor).ok().and_then(Version::from_minor);
        let Some(version) = version else {
            return Err(err(
                &lines,
                format!("unknown or unsupported Go version 1.{minor}"),
            ));
        };
        if !only_space(rest) {
            return Err(err(
                &lines,
                format!(
                    "encountered unexpected non-space at the end of the header: {:?}",
                    lossy(rest)
                ),
            ));
        }
        Ok(TextReader {
            version,
            lines,
            done: false,
        })
    }

    /// The version named by the header.
    pub fn version(&self) -> Version {
        self.version
    }

    fn fail(&self, message: String) -> Error {
        Error::new(
            ErrorKind::Text {
                line: self.lines.number,
                message,
            },
            0,
        )
    }

    fn read(&mut self) -> Result<Option<RawEvent<'static>>> {
        let Some(line) = self.lines.next() else {
            return Ok(None);
        };
        let (name, rest) = read_token(line);
        let ty = std::str::from_utf8(name)
            .ok()
            .and_then(|n| spec::by_name(self.version, n));
        let Some(ty) = ty else {
            return Err(self.fail(format!("unidentified event: {}", lossy(name))));
        };
        let Some(spec) = spec::lookup(self.version, ty) else {
            return Err(self.fail(format!("unidentified event: {}", lossy(name))));
        };
        let mut args = [0u64; MAX_ARGS];
        read_args(rest, spec.args, &mut args)
            .map_err(|m| self.fail(format!("reading args for {}: {m}", spec.name)))?;
        let mut frames = RawFrames::NONE;
        if spec.is_stack {
            let mut v = Vec::new();
            // Frames are pushed as lines are read: the count is never trusted for allocation.
            for _ in 0..args[1] {
                let Some(line) = self.lines.next() else {
                    return Err(self.fail(format!(
                        "unexpected EOF while reading stack: args={:?}",
                        &args[..spec.args.len()]
                    )));
                };
                let mut f = [0u64; 4];
                // Go 1.5 stacks hold PCs only.
                let fields = if self.version == Version::Go1_5 {
                    &FRAME_FIELDS[..1]
                } else {
                    &FRAME_FIELDS[..]
                };
                read_args(line, fields, &mut f).map_err(|m| self.fail(m))?;
                v.push(RawFrame {
                    pc: f[0],
                    func: f[1],
                    file: f[2],
                    line: f[3],
                });
            }
            frames = RawFrames::owned(v);
        }
        let mut data = None;
        if spec.has_data {
            let Some(line) = self.lines.next() else {
                return Err(self.fail(format!(
                    "unexpected EOF while reading data for {}: args={:?}",
                    spec.name,
                    &args[..spec.args.len()]
                )));
            };
            let malformed = || format!("malformed data: {:?}", lossy(line));
            let eq = line
                .iter()
                .position(|&b| b == b'=')
                .ok_or_else(|| self.fail(malformed()))?;
            if trim_space(&line[..eq]) != b"data" {
                return Err(self.fail(malformed()));
            }
            let bytes = quote::unquote(trim_space(&line[eq + 1..]))
                .ok_or_else(|| self.fail(format!("failed to parse data: {:?}", lossy(line))))?;
            data = Some(Cow::Owned(bytes));
        }
        Ok(Some(RawEvent::new(
            self.version,
            EventType(ty.0),
            spec,
            args,
            frames,
            data,
            0,
        )))
    }
}

/// Trims Unicode whitespace at both ends, as Go's `strings.TrimSpace`.
fn trim_space(mut s: &[u8]) -> &[u8] {
    while let (Some(c), w) = next_char(s) {
        if !c.is_whitespace() {
            break;
        }
        s = &s[w..];
    }
    loop {
        // Step back over one character at a time from the end.
        let start = (1..=4.min(s.len()))
            .map(|w| s.len() - w)
            .find(|&i| quote::decode_rune(&s[i..]).is_some_and(|(_, w)| i + w == s.len()));
        match start {
            Some(i) if is_space(next_char(&s[i..]).0) => s = &s[..i],
            _ => return s,
        }
    }
}

impl Iterator for TextReader<'_> {
    type Item = Result<RawEvent<'static>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.read().transpose();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(read_token(b"  Go  x"), (&b"Go"[..], &b"  x"[..]));
        assert_eq!(read_token(b"  # c"), (&b""[..], &b""[..]));
        assert_eq!(read_token(b"a#b"), (&b"a"[..], &b"#b"[..]));
        assert_eq!(read_token("\u{a0}x".as_bytes()), (&b"x"[..], &b""[..]));
        assert_eq!(trim_space(" \t x y \u{3000}".as_bytes()), b"x y");
    }

    #[test]
    fn errors_name_the_line() {
        let t = b"Trace Go1.22\n\n# comment\nEventBatch gen=1 m=2 time=3 size=x\n";
        let r = TextReader::new(t).unwrap();
        let e = r.into_iter().next().unwrap().unwrap_err();
        match e.kind() {
            ErrorKind::Text { line, message } => {
                assert_eq!(*line, 4);
                assert!(
                    message.contains("failed to parse argument value"),
                    "{message}"
                );
            }
            k => panic!("{k:?}"),
        }
        assert!(TextReader::new(b"Trace Go1.24\n").is_err());
        assert!(TextReader::new(b"Trace Go1.22 x\n").is_err());
        let mut r =
            TextReader::new(b"Trace Go1.22\nStack id=1 nframes=3\n\tpc=1 func=2 file=3 line=4\n")
                .unwrap();
        assert!(r.next().unwrap().is_err());
        let mut r = TextReader::new(b"Trace Go1.22\nGoSwitch dt=1 g=2 g_seq=3\n").unwrap();
        assert!(r.next().unwrap().is_err(), "GoSwitch is Go 1.23+");
    }
}
