//! Trace versions and the 16-byte header every Go execution trace starts with.

use crate::error::Result;
use crate::parse::{fail, incomplete, to_error, Kind, PResult, Span};
use nom::bytes::{tag, take_while1, take_while_m_n};
use nom::combinator::eof;
use nom::{Complete, IsStreaming, Parser};
use std::fmt;

/// Length of the header of every Go execution trace: `go 1.N trace` padded with NUL bytes.
pub const HEADER_LEN: usize = 16;

/// The two wire-format families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Go 1.5 to 1.21: per-P batches, a whole-trace string and stack table.
    V1,
    /// Go 1.22 and later: generations of per-M batches.
    V2,
}

/// A trace format version, named by the header Go writes (`go 1.23` is written by Go 1.23 and 1.24).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Version {
    /// `go 1.5`, written by Go 1.5 and 1.6.
    Go1_5,
    /// `go 1.7`, written by Go 1.7.
    Go1_7,
    /// `go 1.8`, written by Go 1.8.
    Go1_8,
    /// `go 1.9`, written by Go 1.9.
    Go1_9,
    /// `go 1.10`, written by Go 1.10.
    Go1_10,
    /// `go 1.11`, written by Go 1.11 to 1.18.
    Go1_11,
    /// `go 1.19`, written by Go 1.19 and 1.20.
    Go1_19,
    /// `go 1.21`, written by Go 1.21.
    Go1_21,
    /// `go 1.22`, written by Go 1.22.
    Go1_22,
    /// `go 1.23`, written by Go 1.23 and 1.24.
    Go1_23,
    /// `go 1.25`, written by Go 1.25 (clock snapshots, sync batches).
    Go1_25,
    /// `go 1.26`, written by Go 1.26 and 1.27 (in-band end of generation).
    Go1_26,
}

impl Version {
    /// Every version, oldest first.
    pub const ALL: [Version; 12] = [
        Version::Go1_5,
        Version::Go1_7,
        Version::Go1_8,
        Version::Go1_9,
        Version::Go1_10,
        Version::Go1_11,
        Version::Go1_19,
        Version::Go1_21,
        Version::Go1_22,
        Version::Go1_23,
        Version::Go1_25,
        Version::Go1_26,
    ];

    /// The minor version number in the header: 22 for `go 1.22`.
    pub fn minor(self) -> u32 {
        match self {
            Version::Go1_5 => 5,
            Version::Go1_7 => 7,
            Version::Go1_8 => 8,
            Version::Go1_9 => 9,
            Version::Go1_10 => 10,
            Version::Go1_11 => 11,
            Version::Go1_19 => 19,
            Version::Go1_21 => 21,
            Version::Go1_22 => 22,
            Version::Go1_23 => 23,
            Version::Go1_25 => 25,
            Version::Go1_26 => 26,
        }
    }

    /// The version whose header says `go 1.<minor>`, if Go ever wrote one.
    pub fn from_minor(minor: u32) -> Option<Version> {
        Version::ALL.into_iter().find(|v| v.minor() == minor)
    }

    /// Which wire-format family the version belongs to.
    pub fn family(self) -> Family {
        if self >= Version::Go1_22 {
            Family::V2
        } else {
            Family::V1
        }
    }

    /// Reads the header at the start of `input`.
    ///
    /// ```
    /// use trace_format::Version;
    /// assert_eq!(Version::from_header(b"go 1.23 trace\0\0\0").unwrap(), Version::Go1_23);
    /// assert!(Version::from_header(b"go 1.24 trace\0\0\0").is_err()); // Go 1.24 writes "go 1.23"
    /// ```
    pub fn from_header(input: &[u8]) -> Result<Version> {
        let input = Span::new(input);
        match header::<Complete>(input) {
            Ok((_, version)) => Ok(version),
            Err(e) => Err(to_error(e, input, 0)),
        }
    }

    /// The 16 header bytes Go writes for this version.
    pub fn header(self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        let s = format!("go 1.{} trace", self.minor());
        h[..s.len()].copy_from_slice(s.as_bytes());
        h
    }
}

/// The 16-byte header at `input`, in either of nom's modes.
///
/// `go 1.N trace` padded with NUL bytes, N one or two digits of a version Go wrote; anything
/// else is [`BadHeader`](crate::ErrorKind::BadHeader) at the header, an N no Go wrote
/// [`UnsupportedVersion`](crate::ErrorKind::UnsupportedVersion) at the N. Fewer than 16 bytes
/// (over complete input) are a truncated trace if they start as a header does, else not a
/// trace, at the end of the input; when streaming, `Incomplete`.
pub(crate) fn header<S: IsStreaming>(input: Span<'_>) -> PResult<'_, Version> {
    let bytes = input.rest();
    let Some((header, _)) = input.take_split(HEADER_LEN as u64) else {
        // A prefix of a valid header is a truncated trace; anything else isn't a trace.
        let valid_prefix = b"go 1.".iter().zip(bytes).all(|(a, b)| a == b);
        let kind = match valid_prefix {
            true => Kind::Truncated("16-byte trace header"),
            false => Kind::BadHeader,
        };
        let end = Span::at(input.bytes(), input.position() + bytes.len());
        let missing = (HEADER_LEN - bytes.len()) as u64;
        return Err(incomplete::<S>(missing, end, || kind));
    };
    let digit = |b: u8| b.is_ascii_digit();
    let mut fields = (
        tag(&b"go 1."[..]),
        take_while_m_n(1, 2, digit),
        tag(&b" trace"[..]),
        take_while1(|b| b == 0),
        eof,
    );
    let parsed: nom::IResult<&[u8], _, ()> = fields.parse_complete(header);
    let Ok((_, (_, digits, ..))) = parsed else {
        return Err(fail(input, Kind::BadHeader));
    };
    let minor = digits
        .iter()
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    match Version::from_minor(minor) {
        Some(v) => Ok((Span::at(input.bytes(), input.position() + HEADER_LEN), v)),
        None => {
            let at = Span::at(input.bytes(), input.position() + 5);
            Err(fail(at, Kind::UnsupportedVersion(minor)))
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "go 1.{}", self.minor())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn every_header_round_trips() {
        for v in Version::ALL {
            let h = v.header();
            assert_eq!(Version::from_header(&h), Ok(v), "{v}");
        }
        assert_eq!(&Version::Go1_5.header(), b"go 1.5 trace\0\0\0\0");
        assert_eq!(&Version::Go1_10.header(), b"go 1.10 trace\0\0\0");
    }

    #[test]
    fn bad_headers() {
        let err = |b: &[u8]| Version::from_header(b).unwrap_err().kind().clone();
        assert_eq!(
            err(b"go 1.6 trace\0\0\0\0"),
            ErrorKind::UnsupportedVersion(6)
        );
        assert_eq!(
            err(b"go 1.24 trace\0\0\0"),
            ErrorKind::UnsupportedVersion(24)
        );
        assert_eq!(err(b"go 1.22 trace\0\0x"), ErrorKind::BadHeader);
        assert_eq!(err(b"go 1.22 trac\0\0\0\0"), ErrorKind::BadHeader);
        assert_eq!(err(b"PK\x03\x04"), ErrorKind::BadHeader);
        assert_eq!(err(b"go 1.2"), ErrorKind::Truncated("16-byte trace header"));
        assert_eq!(err(b""), ErrorKind::Truncated("16-byte trace header"));
        assert_eq!(err(b"go 1.222 trace\0\0"), ErrorKind::BadHeader);
    }
}
