//! Blocking profiles from Go execution traces: the net, sync, syscall and sched profiles that
//! `go tool trace -pprof=TYPE` writes, with the same samples, as gzipped `profile.proto`.
//!
//! This is the top layer: `trace-format` decodes, `trace-model` orders the events and tracks
//! goroutine states, and [`compute`] makes one streaming pass over them, charging each interval
//! a goroutine spends waiting on the network, blocked on synchronization, in a system call or
//! runnable to the stack where it began. [`build`] turns the [`Record`]s into a [`Profile`]
//! exactly as Go's `traceviewer.BuildProfile` lays it out, and [`write_gzip`] encodes it.
//!
//! ```
//! # fn main() -> Result<(), trace_pprof::Error> {
//! use trace_pprof::{build, compute, write_gzip, Filter, ProfileKind};
//! let bytes = std::fs::read("../../testdata/traces/go1.27.3/net.trace").unwrap();
//! let mut reader = trace_model::Reader::new(&bytes)?;
//! let records = compute(&mut reader, ProfileKind::Net, &Filter::default())?;
//! let mut gz = Vec::new();
//! write_gzip(&build(&records), &mut gz)?;       // what `go tool pprof` reads
//! assert!(gz.starts_with(&[0x1f, 0x8b]));
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod compute;
pub mod proto;

pub use compute::{compute, Filter, ProfileKind, Profiler};
pub use proto::Profile;
pub use trace_format as format;
pub use trace_model as model;

use indexmap::IndexSet;
use std::collections::HashMap;
use std::io::Write;

/// Why a profile could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The trace could not be read.
    #[error(transparent)]
    Trace(#[from] trace_model::Error),
    /// No goroutine has the name the filter asks for (Go's message).
    #[error("failed to find matching goroutines for name: {0}")]
    NoGoroutine(String),
    /// Writing the profile failed.
    #[error("writing the profile: {0}")]
    Io(#[from] std::io::Error),
}

impl From<trace_format::Error> for Error {
    fn from(e: trace_format::Error) -> Error {
        Error::Trace(e.into())
    }
}

impl From<trace_model::OrderError> for Error {
    fn from(e: trace_model::OrderError) -> Error {
        Error::Trace(e.into())
    }
}

/// One frame of a profile stack.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Frame {
    /// Program counter.
    pub pc: u64,
    /// Function name.
    pub func: Vec<u8>,
    /// File name.
    pub file: Vec<u8>,
    /// Line number.
    pub line: u64,
}

/// The total for one stack: how many intervals began there and how long they lasted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The stack, innermost frame first (at most 128 frames).
    pub stack: Vec<Frame>,
    /// Number of intervals.
    pub count: u64,
    /// Their total duration, nanoseconds.
    pub time: i64,
}

/// Interns strings for a profile's string table: each string is held once, its index is its
/// ID, and the empty string is ID 0 as profile.proto requires.
struct Strings(IndexSet<Vec<u8>>);

impl Strings {
    fn new() -> Strings {
        let mut s = Strings(IndexSet::new());
        s.get(b"");
        s
    }

    fn get(&mut self, s: &[u8]) -> i64 {
        let i = match self.0.get_index_of(s) {
            Some(i) => i,
            None => self.0.insert_full(s.to_vec()).0,
        };
        i as i64
    }
}

/// Lays records out as a profile the way Go's `traceviewer.BuildProfile` does: sample types
/// contentions/count and delay/nanoseconds, period type trace/count, one location per PC (the
/// first frame seen for it), one function per file and name.
pub fn build(records: &[Record]) -> Profile {
    let mut strings = Strings::new();
    let value_type = |strings: &mut Strings, ty: &[u8], unit: &[u8]| proto::ValueType {
        r#type: strings.get(ty),
        unit: strings.get(unit),
    };
    let mut p = Profile {
        sample_type: vec![
            value_type(&mut strings, b"contentions", b"count"),
            value_type(&mut strings, b"delay", b"nanoseconds"),
        ],
        period_type: Some(value_type(&mut strings, b"trace", b"count")),
        period: 1,
        ..Profile::default()
    };
    // A location's ID is its index in `locations` plus one (one per PC), a function's its
    // index in `functions` plus one; Go keys functions by file and name concatenated.
    let mut locations: IndexSet<u64> = IndexSet::new();
    let mut functions: IndexSet<Vec<u8>> = IndexSet::new();
    for rec in records {
        let mut ids: Vec<u64> = Vec::with_capacity(rec.stack.len());
        for f in &rec.stack {
            let (loc, new_loc) = locations.insert_full(f.pc);
            if new_loc {
                let (func, new_func) = functions.insert_full([&f.file[..], &f.func[..]].concat());
                if new_func {
                    let name = strings.get(&f.func);
                    p.function.push(proto::Function {
                        id: func as u64 + 1,
                        name,
                        system_name: name,
                        filename: strings.get(&f.file),
                        start_line: 0,
                    });
                }
                p.location.push(proto::Location {
                    id: loc as u64 + 1,
                    mapping_id: 0,
                    address: f.pc,
                    line: vec![proto::Line {
                        function_id: func as u64 + 1,
                        line: f.line as i64,
                        column: 0,
                    }],
                    is_folded: false,
                });
            }
            ids.push(loc as u64 + 1);
        }
        p.sample.push(proto::Sample {
            location_id: ids,
            value: vec![rec.count as i64, rec.time],
            label: Vec::new(),
        });
    }
    p.string_table = strings.0.into_iter().collect();
    p
}

/// Writes the profile as gzipped protocol buffers, the format `go tool pprof` reads.
pub fn write_gzip(p: &Profile, w: impl Write) -> std::io::Result<()> {
    use prost::Message;
    let mut gz = flate2::write::GzEncoder::new(w, flate2::Compression::default());
    gz.write_all(&p.encode_to_vec())?;
    gz.finish()?.flush()
}

/// Reads a profile written by [`write_gzip`] or by Go (gzipped or not).
pub fn read_profile(bytes: &[u8]) -> Result<Profile, std::io::Error> {
    use prost::Message;
    use std::io::Read;
    let raw = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out)?;
        out
    } else {
        bytes.to_vec()
    };
    Profile::decode(&raw[..]).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// The samples of a profile in a canonical text form, one line per sample, sorted: the values,
/// then each frame as `function file:line @0xPC`. Sample order and IDs in a profile mean
/// nothing; two profiles with the same lines hold the same samples.
pub fn canonical_samples(p: &Profile) -> Vec<String> {
    let s = |i: i64| {
        usize::try_from(i)
            .ok()
            .and_then(|i| p.string_table.get(i))
            .map_or_else(String::new, |b| String::from_utf8_lossy(b).into_owned())
    };
    let functions: HashMap<u64, &proto::Function> = p.function.iter().map(|f| (f.id, f)).collect();
    let locations: HashMap<u64, &proto::Location> = p.location.iter().map(|l| (l.id, l)).collect();
    let mut out: Vec<String> = p
        .sample
        .iter()
        .map(|sample| {
            let mut line = format!("{:?}", sample.value);
            for id in &sample.location_id {
                let Some(loc) = locations.get(id) else {
                    line.push_str(" | ?");
                    continue;
                };
                for l in &loc.line {
                    let (name, file) = functions
                        .get(&l.function_id)
                        .map_or((String::new(), String::new()), |f| {
                            (s(f.name), s(f.filename))
                        });
                    line.push_str(&format!(" | {name} {file}:{} @{:#x}", l.line, loc.address));
                }
            }
            line
        })
        .collect();
    out.sort();
    out
}
