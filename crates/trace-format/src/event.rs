//! Raw events: one wire event with its arguments, exactly as encoded, before any interpretation.

use crate::spec::{EventSpec, EventType, MAX_ARGS};
use crate::varint;
use crate::version::Version;
use std::borrow::Cow;
use std::fmt;

/// One frame of a stack table entry, as encoded: PC, function and file string IDs, line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RawFrame {
    /// Program counter.
    pub pc: u64,
    /// String ID of the function name.
    pub func: u64,
    /// String ID of the file name.
    pub file: u64,
    /// Line number.
    pub line: u64,
}

/// The frames of a [`RawEvent`] that is a stack table entry.
///
/// Frames decoded from the binary format stay encoded (borrowed from the input) until iterated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrames<'a>(FramesRepr<'a>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum FramesRepr<'a> {
    /// `count` frames of `width` varints each (4: pc, func, file, line; 1: the PC only, in Go
    /// 1.5 traces), already validated.
    Encoded {
        bytes: &'a [u8],
        count: u32,
        width: u8,
    },
    Owned(Vec<RawFrame>),
}

/// An empty frame list to lend out.
pub(crate) static NO_FRAMES: RawFrames<'static> = RawFrames::NONE;

impl<'a> RawFrames<'a> {
    pub(crate) const NONE: RawFrames<'static> = RawFrames(FramesRepr::Encoded {
        bytes: &[],
        count: 0,
        width: 4,
    });

    /// Frames whose varints were validated to hold exactly `count` frames of `width` varints.
    pub(crate) fn encoded(bytes: &'a [u8], count: u32, width: u8) -> RawFrames<'a> {
        RawFrames(FramesRepr::Encoded {
            bytes,
            count,
            width,
        })
    }

    /// Frames given one by one.
    pub fn owned(frames: Vec<RawFrame>) -> RawFrames<'static> {
        RawFrames(FramesRepr::Owned(frames))
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        match &self.0 {
            FramesRepr::Encoded { count, .. } => *count as usize,
            FramesRepr::Owned(v) => v.len(),
        }
    }

    /// True if there are no frames.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The frames in order, innermost first. Go 1.5 frames have only a PC (the rest is 0).
    pub fn iter(&self) -> impl Iterator<Item = RawFrame> + '_ {
        let (bytes, width, owned): (&[u8], u8, &[RawFrame]) = match &self.0 {
            FramesRepr::Encoded { bytes, width, .. } => (bytes, *width, &[]),
            FramesRepr::Owned(v) => (&[], 4, v),
        };
        let mut pos = 0;
        let encoded = std::iter::from_fn(move || {
            let mut f = [0u64; 4];
            for v in f.iter_mut().take(width as usize) {
                // Validated when decoded; a failure here only ends the iteration.
                let (x, next) = varint::read(bytes, pos).ok()?;
                *v = x;
                pos = next;
            }
            Some(RawFrame {
                pc: f[0],
                func: f[1],
                file: f[2],
                line: f[3],
            })
        });
        encoded.chain(owned.iter().copied())
    }

    fn into_owned(self) -> RawFrames<'static> {
        match self.0 {
            FramesRepr::Encoded { count: 0, .. } => RawFrames::NONE,
            FramesRepr::Encoded { .. } => RawFrames::owned(self.iter().collect()),
            FramesRepr::Owned(v) => RawFrames::owned(v),
        }
    }
}

/// One event as it is on the wire: its type, its arguments, and for stack table entries the
/// frames, for strings and experimental batches the data. Nothing is interpreted.
///
/// `Display` prints it exactly as Go's `internal/trace/raw.Event.String()` does, which is one
/// event of Go's raw text format.
#[derive(Debug, Clone)]
pub struct RawEvent<'a> {
    pub(crate) spec: &'static EventSpec,
    pub(crate) args: [u64; MAX_ARGS],
    pub(crate) trailer: Trailer<'a>,
    pub(crate) offset: u64,
    pub(crate) version: Version,
    pub(crate) ty: EventType,
}

/// What follows an event's arguments: never both frames and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Trailer<'a> {
    None,
    Frames(RawFrames<'a>),
    Data(Cow<'a, [u8]>),
}

impl<'a> RawEvent<'a> {
    /// Builds an event. `args` must have exactly as many values as `spec` has arguments.
    #[inline]
    pub(crate) fn new(
        version: Version,
        ty: EventType,
        spec: &'static EventSpec,
        args: [u64; MAX_ARGS],
        frames: RawFrames<'a>,
        data: Option<Cow<'a, [u8]>>,
        offset: u64,
    ) -> RawEvent<'a> {
        let trailer = match data {
            Some(d) => Trailer::Data(d),
            None if frames.is_empty() => Trailer::None,
            None => Trailer::Frames(frames),
        };
        RawEvent {
            spec,
            args,
            trailer,
            offset,
            version,
            ty,
        }
    }

    /// A placeholder event slot, overwritten by decoding.
    pub(crate) fn empty(version: Version) -> RawEvent<'static> {
        RawEvent {
            spec: &EventSpec::EMPTY,
            args: [0; MAX_ARGS],
            trailer: Trailer::None,
            offset: 0,
            version,
            ty: EventType(0),
        }
    }

    /// The trace version the event belongs to.
    #[inline]
    pub fn version(&self) -> Version {
        self.version
    }

    /// The event type byte.
    #[inline]
    pub fn ty(&self) -> EventType {
        self.ty
    }

    /// The event's spec: name, argument names and layout.
    #[inline]
    pub fn spec(&self) -> &'static EventSpec {
        self.spec
    }

    /// Go's name for the event (`GoStart`, `EventBatch`, ...).
    #[inline]
    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    /// The arguments, one per name in [`EventSpec::args`]. For timed events the first is the
    /// timestamp delta from the previous event of the batch.
    #[inline]
    pub fn args(&self) -> &[u64] {
        &self.args[..self.spec.args.len()]
    }

    /// The argument called `name` in the spec, if the event has one.
    pub fn arg(&self, name: &str) -> Option<u64> {
        let i = self.spec.args.iter().position(|a| *a == name)?;
        self.args.get(i).copied()
    }

    /// The frames of a stack table entry; empty for other events.
    #[inline]
    pub fn frames(&self) -> &RawFrames<'a> {
        match &self.trailer {
            Trailer::Frames(f) => f,
            _ => &NO_FRAMES,
        }
    }

    /// The data trailer (string bytes, experimental batch contents), if any.
    ///
    /// As in Go's raw reader, an empty trailer read from the binary format is `None`.
    #[inline]
    pub fn data(&self) -> Option<&[u8]> {
        match &self.trailer {
            Trailer::Data(d) => Some(d),
            _ => None,
        }
    }

    /// The data trailer if it borrows from the input (always so for binary decoding), for callers
    /// that keep it beyond the event.
    #[inline]
    pub fn borrowed_data(&self) -> Option<&'a [u8]> {
        match &self.trailer {
            Trailer::Data(Cow::Borrowed(d)) => Some(d),
            _ => None,
        }
    }

    /// Byte offset of the event's type byte in the trace (0 for events read from text).
    #[inline]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// A copy that owns everything it refers to.
    pub fn into_owned(self) -> RawEvent<'static> {
        let trailer = match self.trailer {
            Trailer::None => Trailer::None,
            Trailer::Frames(f) => Trailer::Frames(f.into_owned()),
            Trailer::Data(d) => Trailer::Data(Cow::Owned(d.into_owned())),
        };
        RawEvent {
            spec: self.spec,
            args: self.args,
            trailer,
            offset: self.offset,
            version: self.version,
            ty: self.ty,
        }
    }

    /// The length of the event's canonical encoding: what [`encode`](Self::encode) appends.
    ///
    /// For Go 1.22+ events this is Go's `raw.Event.EncodedSize`, the size `go tool trace
    /// -d=footprint` counts: the type byte, each argument and each value of a stack's frames as
    /// a minimal varint, and for an event with a data trailer (strings, experimental batches)
    /// the data's length as a varint and the data. It can be less than the event takes in the
    /// file, where the runtime padded a varint (the size of every batch is written in ten
    /// bytes). For v1 records it is the length of their minimal v1 encoding, computed by
    /// encoding them.
    ///
    /// ```
    /// # fn main() -> Result<(), trace_format::Error> {
    /// let bytes = std::fs::read("../../testdata/traces/go1.22.10/chan.trace").unwrap();
    /// let trace = trace_format::Trace::parse(&bytes)?;
    /// let batch = trace.raw_events()?.next().unwrap()?;
    /// let mut encoded = Vec::new();
    /// batch.encode(&mut encoded);
    /// assert_eq!(batch.encoded_size(), encoded.len() as u64);
    /// # Ok(()) }
    /// ```
    pub fn encoded_size(&self) -> u64 {
        if self.version.family() == crate::Family::V1 {
            let mut out = Vec::new();
            self.encode_v1(&mut out);
            return out.len() as u64;
        }
        let len = |v: u64| varint::encoded_len(v) as u64;
        let mut size = 1 + self.args().iter().map(|&a| len(a)).sum::<u64>();
        for f in self.frames().iter() {
            size += len(f.pc) + len(f.func) + len(f.file) + len(f.line);
        }
        if self.spec.has_data {
            let n = self.data().map_or(0, |d| d.len() as u64);
            size += len(n) + n;
        }
        size
    }

    /// Appends the event's binary encoding (minimal varints) to `out`, in its version's format.
    pub fn encode(&self, out: &mut Vec<u8>) {
        if self.version.family() == crate::Family::V1 {
            return self.encode_v1(out);
        }
        out.push(self.ty.0);
        for &a in self.args() {
            varint::write(out, a);
        }
        self.encode_frames(out);
        if self.spec.has_data {
            let d = self.data().unwrap_or_default();
            varint::write(out, d.len() as u64);
            out.extend_from_slice(d);
        }
    }

    fn encode_frames(&self, out: &mut Vec<u8>) {
        for f in self.frames().iter() {
            let values = [f.pc, f.func, f.file, f.line];
            let width = if self.version == Version::Go1_5 { 1 } else { 4 };
            for &v in &values[..width] {
                varint::write(out, v);
            }
        }
    }

    /// The v1 record: the type in the low 6 bits, and in the top 2 either the number of inline
    /// arguments beyond the first (the first two in Go 1.5) or 3 for a byte length before them.
    fn encode_v1(&self, out: &mut Vec<u8>) {
        let data = self.data().unwrap_or_default();
        if self.ty.0 == crate::v1::STRING {
            out.push(self.ty.0);
            varint::write(out, self.args().first().copied().unwrap_or(0));
            varint::write(out, data.len() as u64);
            out.extend_from_slice(data);
            return;
        }
        let mut values = Vec::new();
        for &a in self.args() {
            varint::write(&mut values, a);
        }
        self.encode_frames(&mut values);
        let base = if self.version == Version::Go1_5 { 2 } else { 1 };
        let n = self.args().len();
        let inline = !self.spec.is_stack && !self.spec.has_data && n >= base && n - base <= 2;
        if inline {
            out.push(self.ty.0 | ((n - base) as u8) << 6);
        } else {
            out.push(self.ty.0 | 3 << 6);
            varint::write(out, values.len() as u64);
        }
        out.extend_from_slice(&values);
        if self.spec.has_data {
            varint::write(out, data.len() as u64);
            out.extend_from_slice(data);
        }
    }
}

/// Events are equal when they say the same: version, type, arguments, frames, data and offset.
/// (Decoding in place leaves stale values past an event's own arguments; they don't count.)
impl PartialEq for RawEvent<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
            && self.ty == other.ty
            && self.offset == other.offset
            && self.args() == other.args()
            && self.data() == other.data()
            && self.frames().iter().eq(other.frames().iter())
    }
}

impl Eq for RawEvent<'_> {}

impl fmt::Display for RawEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.spec.name)?;
        for (name, value) in self.spec.args.iter().zip(self.args()) {
            write!(f, " {name}={value}")?;
        }
        for fr in self.frames().iter() {
            if self.version == Version::Go1_5 {
                // Go 1.5 stacks hold PCs only.
                write!(f, "\n\tpc={}", fr.pc)?;
            } else {
                write!(
                    f,
                    "\n\tpc={} func={} file={} line={}",
                    fr.pc, fr.func, fr.file, fr.line
                )?;
            }
        }
        if let Some(d) = self.data() {
            f.write_str("\n\tdata=")?;
            crate::text::quote::write_quoted(f, d)?;
        }
        Ok(())
    }
}
