//! The nom parsers every decoder of this crate is built from, and their one error type.
//!
//! Every parser is a nom parser over borrowed bytes: a function from a [`Span<'a>`] to
//! [`PResult<'a, T>`], that is `nom::IResult<Span<'a>, T, ParseError<'a>>`, returning the input
//! left after what it read. A span is the bytes (borrowed from the trace: nothing is copied) and
//! how far into them parsing has come, as nom_locate's `LocatedSpan` is: a parser moves a
//! position, not a slice, which compiles to the loops over an index the decoders were before,
//! and every error knows its byte offset. The error, [`ParseError`], says what was expected
//! (an [`ErrorKind`]) and where; [`ParseError::into_error`] makes the crate's [`Error`] of it.
//!
//! The framing parsers (the header, v2 batches, v1 records) run in either of nom's modes: over
//! input that is all there is ([`nom::Complete`]) an input that ends too soon is the error
//! [`Truncated`](ErrorKind::Truncated) (or the like) at the right byte; over a stream
//! ([`nom::Streaming`]) it is `nom::Err::Incomplete`, with how many more bytes are needed,
//! which is what the push parser [`crate::Parser`] hands on. The parsers of what a frame holds
//! (the events of a batch) read complete input only.
//!
//! ```
//! use trace_format::parse::{varint, Span};
//! // 300 = 0b10_0101100: two bytes, then what follows.
//! let (rest, v) = varint(Span::new(&[0xac, 0x02, 7])).unwrap();
//! assert_eq!((rest.position(), rest.rest(), v), (2, &[7u8][..], 300));
//! // Cut short: nom's `Incomplete`; more than 64 bits: an error at the varint.
//! assert!(matches!(varint(Span::new(&[0x80])), Err(nom::Err::Incomplete(_))));
//! let nom::Err::Error(e) = varint(Span::at(&[1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 1)).unwrap_err() else { panic!() };
//! assert_eq!((e.offset(), e.kind().to_string()), (1, "malformed varint in varint".to_string()));
//! ```

use crate::error::{Error, ErrorKind};
use crate::limits::Limit;
use nom::{Check, Emit, Err, IsStreaming, Mode, Needed, OutputM, OutputMode, Parser, Streaming};
use std::marker::PhantomData;

/// The input of every parser: bytes borrowed from the trace and the position in them parsing has
/// reached. What is left to parse is [`rest`](Span::rest); what a parser read lies between the
/// positions of its input and of what it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span<'a> {
    bytes: &'a [u8],
    /// Past the end of `bytes` if a span was made so: then nothing is left to parse.
    pos: usize,
}

impl<'a> Span<'a> {
    /// All of `bytes`, from their start.
    #[inline]
    pub fn new(bytes: &'a [u8]) -> Span<'a> {
        Span { bytes, pos: 0 }
    }

    /// `bytes` from `pos` on (nothing, if `pos` is past their end).
    #[inline]
    pub fn at(bytes: &'a [u8], pos: usize) -> Span<'a> {
        Span { bytes, pos }
    }

    /// All the bytes, what was parsed before the position included.
    #[inline]
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// How far into [`bytes`](Span::bytes) parsing has come.
    #[inline]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The bytes not yet parsed.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    /// Number of bytes not yet parsed.
    #[inline]
    pub fn len(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    /// Whether everything has been parsed.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// The next byte and the span after it.
    #[inline(always)]
    pub(crate) fn split_first(self) -> Option<(u8, Span<'a>)> {
        let &b = self.bytes.get(self.pos)?;
        let rest = Span {
            bytes: self.bytes,
            pos: self.pos + 1,
        };
        Some((b, rest))
    }

    /// The next `n` bytes and the span after them, if there are as many.
    #[inline]
    pub(crate) fn take_split(self, n: u64) -> Option<(&'a [u8], Span<'a>)> {
        let end = self.pos.checked_add(usize::try_from(n).ok()?)?;
        let taken = self.bytes.get(self.pos..end)?;
        Some((
            taken,
            Span {
                bytes: self.bytes,
                pos: end,
            },
        ))
    }

    /// The bytes from this span's position to `later`'s: what a parser given this span read to
    /// leave `later`.
    #[inline]
    pub(crate) fn up_to(self, later: Span<'a>) -> &'a [u8] {
        self.bytes.get(self.pos..later.pos).unwrap_or_default()
    }

    /// The same bytes, cut at `end` (the span's own position if that is before it).
    #[inline]
    pub(crate) fn limit(self, end: usize) -> Span<'a> {
        let bytes = self.bytes.get(..end).unwrap_or(self.bytes);
        Span::at(bytes, self.pos)
    }
}

/// The error of every parser of this crate: what was expected and where.
///
/// Where is the input at the byte the error is reported at (not always where parsing stopped: a
/// stack that is too deep is reported at its event, as Go does). What is an [`ErrorKind`], kept
/// as plain data. Boxed, as the crate's [`Error`] is: a parser's result then stays in registers
/// on the hot paths, where they compile to the hand-written loops they were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError<'a>(Box<Inner<'a>>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner<'a> {
    input: Span<'a>,
    kind: Kind,
}

/// What a parser expected, or found instead: an [`ErrorKind`] of the binary formats, as plain
/// data, so that dropping a [`ParseError`] is one deallocation (no string or I/O error inside),
/// which the hot loops inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    BadHeader,
    Truncated(&'static str),
    BadVarint(&'static str),
    UnknownEvent {
        ty: u8,
        version: u32,
    },
    ExpectedBatch(u8),
    BatchTooLarge {
        size: u64,
        max: u64,
    },
    BatchPastEnd {
        size: u64,
        remaining: u64,
    },
    EventCrossesBatch {
        event: &'static str,
    },
    StackTooDeep {
        frames: u64,
        max: u64,
    },
    ArgCount {
        event: &'static str,
        want: usize,
        got: usize,
    },
    WrongLength {
        want: u64,
        got: u64,
    },
    InvalidString(&'static str),
    UnexpectedEvent {
        expected: &'static str,
        batch: &'static str,
        got: u8,
    },
    DataTooLong {
        len: u64,
        max: u64,
    },
    UnsupportedVersion(u32),
    LimitExceeded {
        limit: Limit,
        value: u64,
        max: u64,
    },
}

impl From<Kind> for ErrorKind {
    fn from(e: Kind) -> ErrorKind {
        use Kind as E;
        match e {
            E::BadHeader => ErrorKind::BadHeader,
            E::Truncated(what) => ErrorKind::Truncated(what),
            E::BadVarint(what) => ErrorKind::BadVarint(what),
            E::UnknownEvent { ty, version } => ErrorKind::UnknownEvent { ty, version },
            E::ExpectedBatch(ty) => ErrorKind::ExpectedBatch(ty),
            E::BatchTooLarge { size, max } => ErrorKind::BatchTooLarge { size, max },
            E::BatchPastEnd { size, remaining } => ErrorKind::BatchPastEnd { size, remaining },
            E::EventCrossesBatch { event } => ErrorKind::EventCrossesBatch { event },
            E::StackTooDeep { frames, max } => ErrorKind::StackTooDeep { frames, max },
            E::ArgCount { event, want, got } => ErrorKind::ArgCount { event, want, got },
            E::WrongLength { want, got } => ErrorKind::WrongLength { want, got },
            E::InvalidString(what) => ErrorKind::InvalidString(what),
            E::UnexpectedEvent {
                expected,
                batch,
                got,
            } => ErrorKind::UnexpectedEvent {
                expected,
                batch,
                got,
            },
            E::DataTooLong { len, max } => ErrorKind::DataTooLong { len, max },
            E::UnsupportedVersion(minor) => ErrorKind::UnsupportedVersion(minor),
            E::LimitExceeded { limit, value, max } => {
                ErrorKind::LimitExceeded { limit, value, max }
            }
        }
    }
}

/// What the parsers of this crate return: the input left and the value read, or the error.
pub type PResult<'a, T> = nom::IResult<Span<'a>, T, ParseError<'a>>;

impl<'a> ParseError<'a> {
    /// An error reported at the position of `input`.
    #[inline]
    pub(crate) fn new(input: Span<'a>, kind: Kind) -> ParseError<'a> {
        ParseError::boxed(input.bytes, input.pos, kind)
    }

    /// Out of line, with the span in registers: a call taking it whole would take it through
    /// memory, stored on the hot path.
    #[cold]
    #[inline(never)]
    fn boxed(bytes: &'a [u8], pos: usize, kind: Kind) -> ParseError<'a> {
        let input = Span { bytes, pos };
        ParseError(Box::new(Inner { input, kind }))
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind.into()
    }

    /// The input, at the byte the error is reported at.
    pub fn input(&self) -> Span<'a> {
        self.0.input
    }

    /// Where the error is: its position in the bytes of the parser's input.
    pub fn offset(&self) -> usize {
        self.0.input.pos
    }

    /// The crate's [`Error`]: this one at byte `base + offset()` of the trace, `base` being the
    /// trace offset of the bytes of the parser's input.
    #[inline]
    pub fn into_error(self, base: u64) -> Error {
        Error::new(self.kind(), base.wrapping_add(self.offset() as u64))
    }
}

/// Errors nom's own parsers make, where one is used: they mean the input ended or didn't match.
impl<'a> nom::error::ParseError<Span<'a>> for ParseError<'a> {
    fn from_error_kind(input: Span<'a>, kind: nom::error::ErrorKind) -> Self {
        let what = match kind {
            nom::error::ErrorKind::Eof | nom::error::ErrorKind::Complete => {
                Kind::Truncated("more input")
            }
            _ => Kind::BadHeader,
        };
        ParseError::new(input, what)
    }

    /// The innermost error says best what was expected.
    fn append(_: Span<'a>, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// The crate's [`Error`] for the error of a parser given `input`, whose bytes are at byte
/// `base` of the trace. An `Incomplete` (which only streaming parsers return) is a
/// [`Truncated`](ErrorKind::Truncated) at the end of the bytes.
///
/// Inline, so that a hot caller's error paths build the error where they branch off (a call
/// would take the error and span through memory, stored on the hot path).
#[inline]
pub fn to_error(e: Err<ParseError<'_>>, input: Span<'_>, base: u64) -> Error {
    match e {
        Err::Error(e) | Err::Failure(e) => e.into_error(base),
        Err::Incomplete(_) => {
            let at = base.wrapping_add(input.bytes.len() as u64);
            Error::new(ErrorKind::Truncated("more input"), at)
        }
    }
}

/// The error `kind` at `input`, as nom returns it.
#[inline]
pub(crate) fn fail(input: Span<'_>, kind: Kind) -> Err<ParseError<'_>> {
    Err::Error(ParseError::new(input, kind))
}

/// The input ended `needed` bytes too soon: in streaming mode nom's `Incomplete`, over complete
/// input the error `kind` at `at`.
#[inline]
pub(crate) fn incomplete<S: IsStreaming>(
    needed: u64,
    at: Span<'_>,
    kind: impl FnOnce() -> Kind,
) -> Err<ParseError<'_>> {
    let needed = Needed::new(usize::try_from(needed).unwrap_or(usize::MAX));
    S::incomplete(needed, || ParseError::new(at, kind()))
}

/// An unsigned LEB128 varint, as Go's `encoding/binary.Uvarint` reads it: at most 10 bytes,
/// the 10th carrying at most the top bit of a `u64`. Padded (non-minimal) encodings are valid:
/// the runtime reserves batch sizes before it knows them.
///
/// A streaming parser: input that ends inside the varint is nom's `Incomplete`; more than 10
/// bytes or 64 bits is the error [`BadVarint`](ErrorKind::BadVarint) at the varint. [`Varint`]
/// is the same parser in every mode nom has.
///
/// One-byte values dominate real traces (deltas, small IDs), timestamp deltas are mostly two
/// bytes and a busy goroutine's sequence numbers three: those are read inline, longer ones out
/// of line. Inlined, it is the loop over an index the decoders had by hand.
#[inline(always)]
pub fn varint(input: Span<'_>) -> PResult<'_, u64> {
    Varint.parse(input)
}

/// The varint parser ([`varint`]) as a nom [`Parser`], for every mode: over
/// complete input (`parse_complete`) a varint cut short is the error
/// [`Truncated`](ErrorKind::Truncated)`("varint")`, and in nom's `Check` mode for errors the hot
/// paths that only need to know that a varint failed, and how, build no error at all.
///
/// ```
/// use nom::Parser;
/// use trace_format::parse::{Span, Varint};
/// let e = Varint.parse_complete(Span::new(&[0x80])).unwrap_err();
/// assert!(matches!(e, nom::Err::Error(e) if e.kind().to_string().contains("expected varint")));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Varint;

impl<'a> nom::Parser<Span<'a>> for Varint {
    type Output = u64;
    type Error = ParseError<'a>;

    #[inline(always)]
    fn process<OM: OutputMode>(
        &mut self,
        input: Span<'a>,
    ) -> nom::PResult<OM, Span<'a>, u64, ParseError<'a>> {
        let Span { bytes, pos } = input;
        let at = |n: usize| Span {
            bytes,
            pos: pos + n,
        };
        let v = match bytes.get(pos) {
            Some(&b) if b < 0x80 => return Ok((at(1), OM::Output::bind(|| u64::from(b)))),
            Some(&b) => b,
            None => return Err(short::<OM>(input)),
        };
        let w = match bytes.get(pos + 1) {
            Some(&c) if c < 0x80 => {
                let x = u64::from(v & 0x7f) | u64::from(c) << 7;
                return Ok((at(2), OM::Output::bind(|| x)));
            }
            Some(&c) => c,
            None => return Err(short::<OM>(input)),
        };
        if let Some(&d) = bytes.get(pos + 2) {
            if d < 0x80 {
                let x = u64::from(v & 0x7f) | u64::from(w & 0x7f) << 7 | u64::from(d) << 14;
                return Ok((at(3), OM::Output::bind(|| x)));
            }
        }
        match varint_slow(bytes, pos) {
            (0, _) => Err(short::<OM>(input)),
            (n @ 1..=10, x) => Ok((at(n), OM::Output::bind(|| x))),
            _ => Err(Err::Error(OM::Error::bind(|| {
                ParseError::new(input, Kind::BadVarint("varint"))
            }))),
        }
    }
}

/// A varint at `input` cut short.
#[inline(always)]
fn short<'a, OM: OutputMode>(
    input: Span<'a>,
) -> Err<ParseError<'a>, <OM::Error as Mode>::Output<ParseError<'a>>> {
    if OM::Incomplete::is_streaming() {
        return Err::Incomplete(Needed::new(1));
    }
    Err::Error(OM::Error::bind(|| {
        ParseError::new(input, Kind::Truncated("varint"))
    }))
}

/// nom's mode for parsers whose errors are only looked at for whether they are `Incomplete`:
/// what `Varint` is in the hot loops, which then build no error to throw away.
pub(crate) type CheckErrors = OutputM<Emit, Check, Streaming>;

/// A varint of four bytes or more at `bytes[pos..]`: its length and value; the length 0 if the
/// input ends inside it, 11 if it is longer than 10 bytes or overflows. (Returned in registers,
/// so that the inline paths keep theirs.)
#[inline(never)]
fn varint_slow(bytes: &[u8], pos: usize) -> (usize, u64) {
    let input = bytes.get(pos..).unwrap_or_default();
    let mut x = 0u64;
    for (i, &b) in input.iter().take(10).enumerate() {
        if b < 0x80 {
            if i == 9 && b > 1 {
                break;
            }
            return (i + 1, x | u64::from(b) << (7 * i));
        }
        x |= u64::from(b & 0x7f) << (7 * i);
    }
    if input.len() < 10 {
        return (0, 0);
    }
    (11, 0)
}

/// A varint field of a frame (a batch header, a v1 record): input that ends inside it is
/// [`Truncated`](ErrorKind::Truncated)`(what)` over complete input (`Incomplete` when
/// streaming), a malformed one [`BadVarint`](ErrorKind::BadVarint)`(what)`, both at the field.
#[inline(always)]
pub(crate) fn field<S: IsStreaming>(what: &'static str) -> Field<S> {
    Field {
        what,
        mode: PhantomData,
    }
}

/// See [`field`].
#[derive(Debug)]
pub(crate) struct Field<S> {
    what: &'static str,
    mode: PhantomData<S>,
}

impl<S> Clone for Field<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Field<S> {}

impl<'a, S: IsStreaming> Parser<Span<'a>> for Field<S> {
    type Output = u64;
    type Error = ParseError<'a>;

    #[inline(always)]
    fn process<OM: OutputMode>(
        &mut self,
        input: Span<'a>,
    ) -> nom::PResult<OM, Span<'a>, u64, ParseError<'a>> {
        let what = self.what;
        match Varint.process::<CheckErrors>(input) {
            Ok((rest, v)) => Ok((rest, OM::Output::bind(|| v))),
            Err(Err::Incomplete(n)) if S::is_streaming() => Err(Err::Incomplete(n)),
            Err(Err::Incomplete(_)) => Err(Err::Error(OM::Error::bind(|| {
                ParseError::new(input, Kind::Truncated(what))
            }))),
            Err(_) => Err(Err::Error(OM::Error::bind(|| {
                ParseError::new(input, Kind::BadVarint(what))
            }))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::varint::write;

    #[test]
    fn varint_round_trips_and_pads() {
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16383,
            16384,
            (1 << 21) - 1,
            1 << 21,
            1 << 35,
            u64::MAX,
        ] {
            let mut b = vec![0xee];
            write(&mut b, v);
            b.push(9);
            let (rest, got) = varint(Span::at(&b, 1)).unwrap();
            assert_eq!((rest.position(), got), (b.len() - 1, v));
            // Every cut of it is incomplete.
            for n in 1..b.len() - 1 {
                let cut = Span::at(&b[..n], 1);
                assert!(matches!(varint(cut), Err(Err::Incomplete(_))), "{v} {n}");
            }
        }
        let (rest, v) = varint(Span::new(&[0x85, 0x80, 0x80, 0x00])).unwrap();
        assert_eq!((rest.position(), v), (4, 5));
        let mut b = vec![0xff; 9];
        b.push(0x02);
        let e = varint(Span::new(&b)).unwrap_err();
        assert!(matches!(e, Err::Error(ref p) if p.offset() == 0
            && p.kind() == ErrorKind::BadVarint("varint")));
        b[9] = 1;
        assert_eq!(varint(Span::new(&b)).unwrap().1, u64::MAX);
        assert!(matches!(varint(Span::new(&[0x80; 11])), Err(Err::Error(_))));
    }

    #[test]
    fn errors_know_their_offset() {
        let whole = [1u8, 2, 3, 4];
        let e = ParseError::new(Span::at(&whole, 3), Kind::Truncated("x"));
        assert_eq!(e.offset(), 3);
        assert_eq!(e.into_error(100).offset(), 103);
        let input = Span::at(&whole, 4);
        let err = field::<nom::Complete>("batch size")
            .parse(input)
            .unwrap_err();
        assert_eq!(
            to_error(err, input, 7).to_string(),
            "unexpected end of trace: expected batch size (at byte 11)"
        );
        assert!(matches!(
            field::<nom::Streaming>("x").parse(Span::new(&[0x80])),
            Err(Err::Incomplete(_))
        ));
    }
}
