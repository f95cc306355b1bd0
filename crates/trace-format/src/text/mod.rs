//! Go's raw text format of a trace (`internal/trace/raw`): a `Trace Go1.N` line, then one event per
//! line as `Name arg=value ...`, with a stack's frames and an event's data on following
//! tab-indented lines.
//!
//! [`TextWriter`] writes exactly what Go's `raw.TextWriter` writes; [`TextReader`] reads what Go's
//! `raw.TextReader` reads (comments after `#`, blank lines, any Unicode whitespace between tokens).

mod isprint;
pub mod parse;
pub mod quote;

use crate::error::{Error, ErrorKind, Result};
use crate::event::{RawEvent, RawFrames};
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

/// Reads Go's raw text format into raw events, with the nom parsers of [`parse`]. It ends after
/// the first error.
pub struct TextReader<'a> {
    version: Version,
    lines: Lines<'a>,
    done: bool,
}

/// The lines of a text, counted: the line number of an error is Go's.
struct Lines<'a> {
    rest: &'a [u8],
    number: u64,
}

impl<'a> Lines<'a> {
    /// The next line holding a token (blank lines and comment lines are skipped): the line, its
    /// first token and what follows that.
    #[inline]
    fn next(&mut self) -> Option<(&'a [u8], &'a [u8], &'a [u8])> {
        loop {
            let (rest, line) = parse::line(self.rest).ok()?;
            self.rest = rest;
            self.number += 1;
            // `token` never fails.
            if let Ok((after, tok @ [_, ..])) = parse::token(line) {
                return Some((line, tok, after));
            }
        }
    }

    /// The error `message` on the current line.
    #[cold]
    fn error(&self, message: String) -> Error {
        let line = self.number;
        Error::new(ErrorKind::Text { line, message }, 0)
    }

    /// The error of a parser on the current line.
    #[cold]
    fn parse_error(&self, e: nom::Err<parse::TextError<'_>>) -> Error {
        let message = match e {
            nom::Err::Error(e) | nom::Err::Failure(e) => e.to_string(),
            nom::Err::Incomplete(_) => "unexpected end of input".into(),
        };
        self.error(message)
    }
}

impl<'a> TextReader<'a> {
    /// Reads the header line `Trace Go1.N`.
    pub fn new(text: &'a [u8]) -> Result<TextReader<'a>> {
        let mut lines = Lines {
            rest: text,
            number: 0,
        };
        let Some((line, _, _)) = lines.next() else {
            return Err(lines.error("missing header line".into()));
        };
        let (_, version) = parse::header(line).map_err(|e| lines.parse_error(e))?;
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

    fn read(&mut self) -> Result<Option<RawEvent<'static>>> {
        let Some((_, name, rest)) = self.lines.next() else {
            return Ok(None);
        };
        let (_, (spec, ty, args)) =
            parse::event(self.version, name, rest).map_err(|e| self.lines.parse_error(e))?;
        let mut frames = RawFrames::NONE;
        if spec.is_stack {
            let mut v = Vec::new();
            // Frames are pushed as lines are read: the count is never trusted for allocation.
            for _ in 0..args[1] {
                let Some((line, _, _)) = self.lines.next() else {
                    return Err(self.lines.error(format!(
                        "unexpected EOF while reading stack: args={:?}",
                        &args[..spec.args.len()]
                    )));
                };
                let (_, f) =
                    parse::frame(self.version, line).map_err(|e| self.lines.parse_error(e))?;
                v.push(f);
            }
            frames = RawFrames::owned(v);
        }
        let mut data = None;
        if spec.has_data {
            let Some((line, _, _)) = self.lines.next() else {
                return Err(self.lines.error(format!(
                    "unexpected EOF while reading data for {}: args={:?}",
                    spec.name,
                    &args[..spec.args.len()]
                )));
            };
            let (_, bytes) = parse::data(line).map_err(|e| self.lines.parse_error(e))?;
            data = Some(Cow::Owned(bytes));
        }
        Ok(Some(RawEvent::new(
            self.version,
            ty,
            spec,
            args,
            frames,
            data,
            0,
        )))
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
