//! How many events of each type a trace holds and how many bytes they take: the table
//! `go tool trace -d=footprint` prints, and the same table for Go 1.5–1.21 traces, which Go's
//! tool no longer reads.
//!
//! Go counts what its raw reader yields, in file order and with no ordering: every event of
//! every batch, the batch headers themselves (`EventBatch`, `ExperimentalBatch` with its data,
//! Go 1.26's lone `EndOfGeneration`), and the string, stack, CPU sample and sync tables
//! (`Strings`, `String`, `Stacks`, `Stack`, `CPUSamples`, `CPUSample`, `Frequency`, `Sync`,
//! `ClockSnapshot`). An event's bytes are its canonical encoding,
//! [`RawEvent::encoded_size`]: one type byte, every argument (a stack's frames included) as a
//! minimal varint, and a data trailer's length and bytes. Not counted: the 16-byte header, and
//! the bytes the runtime pads varints with (it writes every batch's size in ten bytes), so the
//! byte column sums to a little less than the file. The percentages are of the whole file,
//! header included, and of all events.
//!
//! For v1 traces (Go 1.5–1.21) an event's bytes are the bytes its record takes in the file, so
//! they sum to the file's size less the header; the counts are those of every record
//! ([`Trace::raw_events`], string records included); the names are the v1 tables' of
//! [`spec::specs`].
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use trace_format::footprint::Footprint;
//!
//! let bytes = std::fs::read("../../testdata/traces/go1.22.10/chan.trace")?;
//! let footprint = Footprint::of_trace(&trace_format::Trace::parse(&bytes)?)?;
//! let biggest = footprint.rows()[0];
//! assert_eq!(footprint.name(biggest.ty), "String");
//!
//! let mut table = Vec::new();
//! footprint.write_table(&mut table)?;
//! let table = String::from_utf8(table)?;
//! assert!(table.starts_with("Event                Bytes  %       Count  %\n"));
//! assert_eq!(table.lines().nth(2), Some("String               1303   47.96%  63     26.25%"));
//! # Ok(()) }
//! ```

use crate::error::Result;
use crate::event::RawEvent;
use crate::limits::Limits;
use crate::spec::{self, EventType};
use crate::version::{Family, Version, HEADER_LEN};
use crate::{StreamReader, Trace};
use std::borrow::Cow;
use std::io::{self, Read, Write};

/// One event type's share of a trace: Go's `eventStats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventStats {
    /// The event type.
    pub ty: EventType,
    /// How many events of the type the trace holds.
    pub count: u64,
    /// The bytes they take (see the [module](self) for what counts).
    pub bytes: u64,
}

/// The events and bytes of each of the 256 event types of a trace, as `go tool trace
/// -d=footprint` counts them.
#[derive(Debug, Clone)]
pub struct Footprint {
    version: Version,
    stats: [EventStats; 256],
    events: u64,
    trace_bytes: u64,
}

impl Footprint {
    /// Nothing counted yet, for a trace of `version` that is only a header.
    pub fn new(version: Version) -> Footprint {
        let mut stats = [EventStats {
            ty: EventType(0),
            count: 0,
            bytes: 0,
        }; 256];
        for (ty, s) in (0..=u8::MAX).zip(stats.iter_mut()) {
            s.ty = EventType(ty);
        }
        Footprint {
            version,
            stats,
            events: 0,
            trace_bytes: HEADER_LEN as u64,
        }
    }

    /// The footprint of a trace in memory.
    pub fn of_trace(trace: &Trace<'_>) -> Result<Footprint> {
        if trace.version().family() == Family::V2 {
            let body = trace.bytes().get(HEADER_LEN..).unwrap_or_default();
            return Self::flat(body, trace.version(), trace.limits());
        }
        let mut tally = Tally::new(trace.version());
        let mut events = trace.raw_events()?;
        while let Some(event) = events.next_event()? {
            tally.event(event);
        }
        Ok(tally.finish(trace.bytes().len() as u64))
    }

    /// The footprint of a trace read from `input`, one event at a time, as Go reads it; memory
    /// stays at one batch.
    ///
    /// A Go 1.22+ trace is read as Go's raw reader reads it (see below), so that a damaged
    /// trace gets the table Go's tool prints, or fails where it fails: events are read one
    /// after another whatever the batch sizes say, and a trace cut just before an argument,
    /// a frame or a data byte ends there (Go takes its reader's `io.EOF` for the end). Cut
    /// inside a varint, with a varint too long, or with a type byte the version lacks, it
    /// fails. On every trace Go writes, the same as following the batches.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use trace_format::footprint::Footprint;
    /// let bytes = std::fs::read("../../testdata/traces/go1.23.9/chan.trace")?;
    /// let whole = Footprint::from_read(&bytes[..])?;
    /// // Cut where an event begins: the events before it, as Go counts them.
    /// let cut = Footprint::from_read(&bytes[..bytes.len() - 1])?;
    /// assert!(cut.events() < whole.events());
    /// # Ok(()) }
    /// ```
    pub fn from_read<R: Read>(input: R) -> Result<Footprint> {
        Self::from_read_with_limits(input, Limits::default())
    }

    /// [`from_read`](Self::from_read), with the trace held to `limits`.
    pub fn from_read_with_limits<R: Read>(mut input: R, limits: Limits) -> Result<Footprint> {
        let mut header = Vec::with_capacity(HEADER_LEN);
        (&mut input)
            .take(HEADER_LEN as u64)
            .read_to_end(&mut header)?;
        let version = Version::from_header(&header)?;
        if version.family() == Family::V2 {
            return Self::flat(input, version, limits);
        }
        let input = std::io::Cursor::new(header).chain(input);
        let mut counted = Counting { inner: input, n: 0 };
        let mut reader = StreamReader::with_limits(&mut counted, limits)?;
        let mut tally = Tally::new(reader.version());
        while let Some(event) = reader.next_raw_event()? {
            tally.event(&event);
        }
        drop(reader);
        // The reader has seen the end of the input, so every byte has been read.
        Ok(tally.finish(counted.n))
    }

    /// A v2 trace's footprint, read as Go's raw reader reads it, from just past the header.
    fn flat<R: Read>(body: R, version: Version, limits: Limits) -> Result<Footprint> {
        let mut flat = crate::flat::Flat::new(body, version, limits);
        let mut footprint = Footprint::new(version);
        while let Some((ty, bytes)) = flat.next()? {
            footprint.add(ty, bytes);
        }
        footprint.set_trace_bytes(flat.offset());
        Ok(footprint)
    }

    /// Counts one event of type `ty` that takes `bytes`.
    pub fn add(&mut self, ty: EventType, bytes: u64) {
        if let Some(s) = self.stats.get_mut(ty.0 as usize) {
            s.count = s.count.saturating_add(1);
            s.bytes = s.bytes.saturating_add(bytes);
        }
        self.events = self.events.saturating_add(1);
    }

    /// Sets the size of the whole trace file, header included, of which the bytes'
    /// percentages are taken.
    pub fn set_trace_bytes(&mut self, n: u64) {
        self.trace_bytes = n;
    }

    /// The trace's version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The number of events of every type.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The bytes of events of every type.
    pub fn bytes(&self) -> u64 {
        self.stats
            .iter()
            .fold(0u64, |sum, s| sum.saturating_add(s.bytes))
    }

    /// The size of the trace file, header included.
    pub fn trace_bytes(&self) -> u64 {
        self.trace_bytes
    }

    /// The events and bytes of one type.
    pub fn stats(&self, ty: EventType) -> EventStats {
        self.stats[ty.0 as usize]
    }

    /// Go's name for a type, as the table prints it: the name in the version's table (empty
    /// for a slot the table leaves unused, such as 0), or `<unknown (N)>` past its end.
    pub fn name(&self, ty: EventType) -> Cow<'static, str> {
        match spec::specs(self.version).get(ty.0 as usize) {
            Some(s) => Cow::Borrowed(s.name),
            None => Cow::Owned(format!("<unknown ({})>", ty.0)),
        }
    }

    /// All 256 types, most bytes first, in exactly Go's order: Go sorts them, from type 0 up,
    /// with its unstable `slices.SortFunc`, and types of equal bytes (every unused one) come out
    /// as that sort leaves them.
    pub fn rows(&self) -> Vec<EventStats> {
        let mut rows = self.stats.to_vec();
        crate::gosort::sort_func(&mut rows, |a, b| b.bytes.cmp(&a.bytes));
        rows
    }

    /// Writes the table exactly as `go tool trace -d=footprint` prints it: a heading, a row of
    /// dashes, then every type of [`rows`](Self::rows) with its bytes, their percentage of the
    /// file, its count and its percentage of all events, in columns aligned as Go's
    /// `text/tabwriter` aligns them. A trace with no events has `NaN%` counts, as in Go.
    pub fn write_table<W: Write>(&self, mut w: W) -> io::Result<()> {
        let percent = |part: u64, whole: u64| format!("{:.2}%", part as f64 / whole as f64 * 100.0);
        let mut lines: Vec<[Cow<'static, str>; 5]> = Vec::with_capacity(258);
        lines.push(["Event", "Bytes", "%", "Count", "%"].map(Cow::Borrowed));
        lines.push(["-"; 5].map(Cow::Borrowed));
        for row in self.rows() {
            lines.push([
                self.name(row.ty),
                Cow::Owned(row.bytes.to_string()),
                Cow::Owned(percent(row.bytes, self.trace_bytes)),
                Cow::Owned(row.count.to_string()),
                Cow::Owned(percent(row.count, self.events)),
            ]);
        }
        write_columns(&mut w, &lines)?;
        w.flush()
    }

    /// Writes the footprint as one line of JSON, for scripts:
    ///
    /// ```text
    /// {"version":"go 1.22","trace_bytes":2717,"events":240,"bytes":2650,
    ///  "types":[{"type":5,"name":"String","count":63,"bytes":1303},...]}
    /// ```
    ///
    /// `version` is the trace's header version, `trace_bytes` the file's size (header
    /// included), `events` and `bytes` the totals, and `types` the types that occur, in the
    /// table's order (most bytes first), each with its type byte, name, count and bytes.
    pub fn write_json<W: Write>(&self, mut w: W) -> io::Result<()> {
        write!(
            w,
            "{{\"version\":\"{}\",\"trace_bytes\":{},\"events\":{},\"bytes\":{},\"types\":[",
            self.version,
            self.trace_bytes,
            self.events,
            self.bytes()
        )?;
        let rows = self.rows();
        for (i, row) in rows.iter().filter(|r| r.count > 0).enumerate() {
            let comma = if i == 0 { "" } else { "," };
            write!(w, "{comma}{{\"type\":{},\"name\":", row.ty.0)?;
            write_json_string(&mut w, &self.name(row.ty))?;
            write!(w, ",\"count\":{},\"bytes\":{}}}", row.count, row.bytes)?;
        }
        writeln!(w, "]}}")?;
        w.flush()
    }
}

/// Counts events as a reader yields them. A v1 record's bytes are the distance to the next
/// record, or to the end of the trace for the last, so the record is counted once the next
/// one (or the end) is known.
struct Tally {
    footprint: Footprint,
    /// The last v1 record: its type and offset.
    last_v1: Option<(EventType, u64)>,
}

impl Tally {
    fn new(version: Version) -> Tally {
        Tally {
            footprint: Footprint::new(version),
            last_v1: None,
        }
    }

    fn event(&mut self, event: &RawEvent<'_>) {
        match self.footprint.version.family() {
            Family::V2 => self.footprint.add(event.ty(), event.encoded_size()),
            Family::V1 => {
                let next = (event.ty(), event.offset());
                if let Some((ty, at)) = self.last_v1.replace(next) {
                    self.footprint.add(ty, event.offset().saturating_sub(at));
                }
            }
        }
    }

    /// The footprint of a trace of `trace_bytes`, every event counted.
    fn finish(mut self, trace_bytes: u64) -> Footprint {
        if let Some((ty, at)) = self.last_v1.take() {
            self.footprint.add(ty, trace_bytes.saturating_sub(at));
        }
        self.footprint.trace_bytes = trace_bytes;
        self.footprint
    }
}

/// Counts the bytes read through it, as Go's `countingReader` does.
struct Counting<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n = self.n.saturating_add(n as u64);
        Ok(n)
    }
}

/// Writes lines of cells in columns, as Go's `text/tabwriter` with a minimum width of 3,
/// padding 2 and spaces does when every line has the same number of cells: each cell but the
/// last of its line is padded with spaces to its column's width, the widest cell in the column
/// plus 2 (at least 3); the last is written as it is.
fn write_columns<W: Write, const N: usize>(
    w: &mut W,
    lines: &[[Cow<'_, str>; N]],
) -> io::Result<()> {
    let mut widths = [3usize; N];
    for line in lines {
        for (width, cell) in widths.iter_mut().zip(line.iter()) {
            *width = (*width).max(cell.chars().count() + 2);
        }
    }
    let mut out = String::new();
    for line in lines {
        out.clear();
        for (i, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < N {
                let pad = widths[i].saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
        w.write_all(out.as_bytes())?;
    }
    Ok(())
}

/// Writes `s` as a JSON string.
fn write_json_string<W: Write>(w: &mut W, s: &str) -> io::Result<()> {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    w.write_all(out.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_alone_is_nan_percent_of_no_events() {
        let footprint =
            Footprint::of_trace(&Trace::parse(&Version::Go1_22.header()).unwrap()).unwrap();
        assert_eq!((footprint.events(), footprint.bytes()), (0, 0));
        let mut table = Vec::new();
        footprint.write_table(&mut table).unwrap();
        let table = String::from_utf8(table).unwrap();
        assert_eq!(table.lines().count(), 258);
        // Go's rows for a Go 1.22 trace of no events: type 0 (no name) first, then 1 and 2.
        let rows: Vec<&str> = table.lines().skip(2).take(3).collect();
        assert_eq!(
            rows,
            [
                "                     0      0.00%  0      NaN%",
                "EventBatch           0      0.00%  0      NaN%",
                "Stacks               0      0.00%  0      NaN%",
            ]
        );
    }

    #[test]
    fn names_past_the_table_are_unknown() {
        let f = Footprint::new(Version::Go1_22);
        assert_eq!(f.name(EventType(44)), "UserLog");
        assert_eq!(f.name(EventType(45)), "<unknown (45)>");
        assert_eq!(f.name(EventType(0)), "");
        let f = Footprint::new(Version::Go1_26);
        assert_eq!(f.name(EventType(128)), "Span");
        assert_eq!(f.name(EventType(127)), "");
        assert_eq!(f.name(EventType(137)), "<unknown (137)>");
        let f = Footprint::new(Version::Go1_11);
        assert_eq!(f.name(EventType(37)), "String");
        assert_eq!(f.name(EventType(50)), "<unknown (50)>");
    }

    #[test]
    fn json_escapes() {
        let mut out = Vec::new();
        write_json_string(&mut out, "a\"b\\c\u{1}").unwrap();
        assert_eq!(out, br#""a\"b\\c\u0001""#);
    }
}
