//! The timeline as a native Perfetto trace: a stream of `TracePacket`s (each one field 1 of a
//! `perfetto.protos.Trace`), from the same events the JSON is written from, so both carry the
//! same slices, instants, counters and arrows.
//!
//! The messages are the few fields of Perfetto's `trace_packet.proto`, `track_event.proto`,
//! `track_descriptor.proto`, `interned_data.proto`, `profile_common.proto` and
//! `debug_annotation.proto` a timeline needs, derived with `prost::Message` by hand so that no
//! build step needs `protoc`. Strings are bytes here (the wire encoding is the same); the
//! writer only puts valid UTF-8 in them. Perfetto's protos are proto2: its repeated integers
//! are not packed, and so are not here.
//!
//! How the JSON maps onto tracks and events:
//! - each section (`pid`: the lanes, `STATS`, `TASKS`) is a top-level track, each lane (`tid`)
//!   a child of it, ordered as Go orders them (`sibling_order_rank` from the sort index);
//! - an `X` slice is a `TYPE_SLICE_BEGIN` at `ts` and a `TYPE_SLICE_END` at `ts + dur`, two
//!   consecutive packets, on its lane, or for Go's proc and global ranges (which may overlap the
//!   goroutine slices without nesting) on a child track of the lane named after the range;
//! - a region (`b`, `e`) is a begin and an end on a child track `regions` of its lane;
//! - an `I` instant is a `TYPE_INSTANT`; an arrow (`s`, `t`) is an instant named after the
//!   arrow on each end lane, the first with `flow_ids`, the second with `terminating_flow_ids`;
//! - a `C` counter is one `TYPE_COUNTER` per argument, on a counter track `NAME ARG` under
//!   `STATS`;
//! - arguments are debug annotations, and the stacks (`sf`, `esf`) interned callstacks whose
//!   frames are the JSON's frame tree (function and line);
//! - names and categories are interned (`name_iid`, `category_iids`): each is written once, by
//!   the first event that has it (the first 65,536 of each; names past them are written in their
//!   events, which bounds the writer's memory on a trace of very many goroutines).
//!
//! Timestamps are integer nanoseconds from the trace's first event (a negative time of the
//! JSON, which only an open range of unknown start could give, becomes 0). A track is described
//! when first used, with its parent, kind and Go's order (its name then is the JSON's `pid` or
//! `tid`), and again at the end with Go's name, which only the end of the trace gives (Perfetto
//! keeps a track's most recent name).

use crate::emitter::FastMap;
use crate::emitter::Frames;
use crate::json::{Args, Event};
use std::collections::HashMap;

/// `TrackEvent.Type.TYPE_SLICE_BEGIN`.
pub const TYPE_SLICE_BEGIN: i32 = 1;
/// `TrackEvent.Type.TYPE_SLICE_END`.
pub const TYPE_SLICE_END: i32 = 2;
/// `TrackEvent.Type.TYPE_INSTANT`.
pub const TYPE_INSTANT: i32 = 3;
/// `TrackEvent.Type.TYPE_COUNTER`.
pub const TYPE_COUNTER: i32 = 4;
/// `TracePacket.SequenceFlags.SEQ_INCREMENTAL_STATE_CLEARED`.
pub const SEQ_INCREMENTAL_STATE_CLEARED: u32 = 1;
/// `TracePacket.SequenceFlags.SEQ_NEEDS_INCREMENTAL_STATE`.
pub const SEQ_NEEDS_INCREMENTAL_STATE: u32 = 2;
/// `TrackDescriptor.ChildTracksOrdering.EXPLICIT`.
pub const ORDERING_EXPLICIT: i32 = 3;
/// The `trusted_packet_sequence_id` of every packet written.
pub const SEQUENCE_ID: u32 = 1;

/// A whole trace: `perfetto.protos.Trace` (what a file of packets decodes as).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Trace {
    /// The packets.
    #[prost(message, repeated, tag = "1")]
    pub packet: Vec<TracePacket>,
}

/// `perfetto.protos.TracePacket` (its `data` oneof as separate fields: one is set).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TracePacket {
    /// Nanoseconds (from the trace's first event here).
    #[prost(uint64, optional, tag = "8")]
    pub timestamp: Option<u64>,
    /// The sequence the packet belongs to.
    #[prost(uint32, optional, tag = "10")]
    pub trusted_packet_sequence_id: Option<u32>,
    /// An event on a track.
    #[prost(message, optional, tag = "11")]
    pub track_event: Option<TrackEvent>,
    /// Interned strings, frames and callstacks the packet's event and later ones refer to.
    #[prost(message, optional, boxed, tag = "12")]
    pub interned_data: Option<Box<InternedData>>,
    /// `SEQ_*` flags.
    #[prost(uint32, optional, tag = "13")]
    pub sequence_flags: Option<u32>,
    /// A track's description.
    #[prost(message, optional, boxed, tag = "60")]
    pub track_descriptor: Option<Box<TrackDescriptor>>,
    /// Set on the sequence's first packet.
    #[prost(bool, optional, tag = "87")]
    pub first_packet_on_sequence: Option<bool>,
}

/// `perfetto.protos.TrackDescriptor`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TrackDescriptor {
    /// The track's ID, which events give as `track_uuid`.
    #[prost(uint64, optional, tag = "1")]
    pub uuid: Option<u64>,
    /// The name shown.
    #[prost(bytes = "vec", optional, tag = "2")]
    pub name: Option<Vec<u8>>,
    /// The track it is nested in.
    #[prost(uint64, optional, tag = "5")]
    pub parent_uuid: Option<u64>,
    /// Present on counter tracks.
    #[prost(message, optional, tag = "8")]
    pub counter: Option<CounterDescriptor>,
    /// How the children are ordered (`ORDERING_EXPLICIT`: by their rank).
    #[prost(int32, optional, tag = "11")]
    pub child_ordering: Option<i32>,
    /// The rank among siblings under `ORDERING_EXPLICIT`.
    #[prost(int32, optional, tag = "12")]
    pub sibling_order_rank: Option<i32>,
}

/// `perfetto.protos.CounterDescriptor`: no field is needed.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CounterDescriptor {}

/// `perfetto.protos.TrackEvent`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TrackEvent {
    /// Arguments.
    #[prost(message, repeated, tag = "4")]
    pub debug_annotations: Vec<DebugAnnotation>,
    /// `TYPE_*`.
    #[prost(int32, optional, tag = "9")]
    pub r#type: Option<i32>,
    /// The track.
    #[prost(uint64, optional, tag = "11")]
    pub track_uuid: Option<u64>,
    /// Categories.
    #[prost(bytes = "vec", repeated, tag = "22")]
    pub categories: Vec<Vec<u8>>,
    /// The name.
    #[prost(bytes = "vec", optional, tag = "23")]
    pub name: Option<Vec<u8>>,
    /// A counter's value.
    #[prost(int64, optional, tag = "30")]
    pub counter_value: Option<i64>,
    /// Arrows leaving this event.
    #[prost(fixed64, repeated, packed = "false", tag = "47")]
    pub flow_ids: Vec<u64>,
    /// Arrows ending at this event.
    #[prost(fixed64, repeated, packed = "false", tag = "48")]
    pub terminating_flow_ids: Vec<u64>,
    /// The interned callstack of the event.
    #[prost(uint64, optional, tag = "56")]
    pub callstack_iid: Option<u64>,
    /// Categories, interned ([`InternedData::event_categories`]).
    #[prost(uint64, repeated, packed = "false", tag = "3")]
    pub category_iids: Vec<u64>,
    /// The name, interned ([`InternedData::event_names`]).
    #[prost(uint64, optional, tag = "10")]
    pub name_iid: Option<u64>,
}

/// `perfetto.protos.DebugAnnotation`: a named argument.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DebugAnnotation {
    /// An unsigned value.
    #[prost(uint64, optional, tag = "3")]
    pub uint_value: Option<u64>,
    /// A signed value.
    #[prost(int64, optional, tag = "4")]
    pub int_value: Option<i64>,
    /// A string value.
    #[prost(bytes = "vec", optional, tag = "6")]
    pub string_value: Option<Vec<u8>>,
    /// The name.
    #[prost(bytes = "vec", optional, tag = "10")]
    pub name: Option<Vec<u8>>,
}

/// `perfetto.protos.InternedData`: the incremental state of the sequence.
#[derive(Clone, PartialEq, prost::Message)]
pub struct InternedData {
    /// Event categories, referred to by events' `category_iids`.
    #[prost(message, repeated, tag = "1")]
    pub event_categories: Vec<EventName>,
    /// Event names, referred to by events' `name_iid`.
    #[prost(message, repeated, tag = "2")]
    pub event_names: Vec<EventName>,
    /// Function names, referred to by frames.
    #[prost(message, repeated, tag = "5")]
    pub function_names: Vec<InternedString>,
    /// Frames, referred to by callstacks.
    #[prost(message, repeated, tag = "6")]
    pub frames: Vec<Frame>,
    /// Callstacks, referred to by events.
    #[prost(message, repeated, tag = "7")]
    pub callstacks: Vec<Callstack>,
}

/// `perfetto.protos.EventName` (and `EventCategory`, which has the same fields).
#[derive(Clone, PartialEq, prost::Message)]
pub struct EventName {
    /// Its ID.
    #[prost(uint64, optional, tag = "1")]
    pub iid: Option<u64>,
    /// The name.
    #[prost(bytes = "vec", optional, tag = "2")]
    pub name: Option<Vec<u8>>,
}

/// `perfetto.protos.InternedString`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct InternedString {
    /// Its ID.
    #[prost(uint64, optional, tag = "1")]
    pub iid: Option<u64>,
    /// The string.
    #[prost(bytes = "vec", optional, tag = "2")]
    pub str: Option<Vec<u8>>,
}

/// `perfetto.protos.Frame`: a node of the frame tree (its `iid` is the JSON's frame ID).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Frame {
    /// Its ID.
    #[prost(uint64, optional, tag = "1")]
    pub iid: Option<u64>,
    /// The function (an interned string).
    #[prost(uint64, optional, tag = "2")]
    pub function_name_id: Option<u64>,
    /// The line.
    #[prost(uint32, optional, tag = "6")]
    pub line_number: Option<u32>,
}

/// `perfetto.protos.Callstack` (its `iid` is the JSON's frame ID of its innermost frame).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Callstack {
    /// Its ID.
    #[prost(uint64, optional, tag = "1")]
    pub iid: Option<u64>,
    /// Frame IDs, outermost first.
    #[prost(uint64, repeated, packed = "false", tag = "2")]
    pub frame_ids: Vec<u64>,
}

/// What a track is, in the JSON's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key<'a> {
    /// A `pid`.
    Section(u64),
    /// A `tid` of a `pid`.
    Lane(u64, u64),
    /// A named track under a lane.
    Child(u64, u64, &'a [u8]),
    /// A counter's argument.
    Counter(&'a [u8], &'static str),
}

/// Named tracks with their `uuid`s.
type Named = Vec<(Box<[u8]>, u64)>;

/// The tracks by [`Key`], looked up without allocating (a lookup per event).
#[derive(Default)]
struct Index {
    sections: Vec<(u64, u64)>,
    lanes: FastMap<(u64, u64), u64>,
    /// By the lane's track: name, track.
    children: FastMap<u64, Named>,
    counters: Vec<(Box<[u8]>, &'static str, u64)>,
}

struct Track {
    parent: Option<u64>,
    name: Vec<u8>,
    /// The rank given when first described.
    rank: Option<i32>,
    /// A section's or lane's rank as Go's metadata gives it (`None` without it).
    go_rank: Option<i32>,
    counter: bool,
    has_children: bool,
    /// The begins and ends of the last slices written on it, the latest at `recent_at`.
    recent: [(i64, i64); RECENT_SLICES],
    recent_at: usize,
    /// The same of its slices of [`LONG_SLICE`] or more, which short ones would push out.
    long: [(i64, i64); RECENT_SLICES],
    long_at: usize,
}

/// Slices of one track that cross (overlap without one inside the other) go to child tracks
/// `overlapping`, `overlapping 2`, ... of the lane: Perfetto nests the slices of a track (an
/// end closes the innermost open slice), while Go's JSON lets slices of one lane cross (a
/// goroutine's slice on an M beginning before the last one's end, say). A slice is checked
/// against the last `RECENT_SLICES` slices of its track and the last `RECENT_SLICES` of at
/// least [`LONG_SLICE`], which keeps the check bounded (Go writes a lane's slices about in
/// order; the long ones are kept apart because runs of short syscalls would push them out).
/// A crossing beyond those is not seen; `tests/perfetto.rs` checks that every track of every
/// testdata trace nests.
const RECENT_SLICES: usize = 16;
/// A slice this long (ns) or longer is also kept among a track's long slices.
const LONG_SLICE: i64 = 1000;

/// Turns the JSON's events into packets.
#[derive(Default)]
pub(crate) struct Writer {
    index: Index,
    /// Track `uuid` is at `uuid - 1`.
    tracks: Vec<Track>,
    /// Frame-tree nodes and callstacks already interned, by frame ID.
    frames_done: Vec<bool>,
    stacks_done: Vec<bool>,
    functions: HashMap<Box<[u8]>, u64>,
    /// Event names and categories already interned, with their IDs.
    names: NameMap,
    categories: NameMap,
    /// What the event being written interns (its name, category and stack), sent with it.
    pending: InternedData,
    started: bool,
    /// The rank Go will give the lane of the event being written.
    lane_rank: Option<i64>,
}

/// Names (and categories) interned at most: past them names are written in each event, so that
/// a trace of very many goroutines, each of whose slices has a name of its own, holds the
/// writer's memory to this.
const MAX_INTERNED_NAMES: usize = 1 << 16;

/// Interned names by their bytes, hashed a word at a time (the frame tree's hasher takes a
/// byte at a time, made for integer keys).
type NameMap = trace_model::format::hash::IdMap<Box<[u8]>, u64>;

/// `name` as an event gives it: by the ID of its interned copy in `seen` (interned into `new`
/// when first met), or in the event when `seen` is full; neither when empty.
fn intern_name(
    name: &[u8],
    seen: &mut NameMap,
    new: &mut Vec<EventName>,
) -> (Option<Vec<u8>>, Option<u64>) {
    if name.is_empty() {
        return (None, None);
    }
    if let Some(&iid) = seen.get(name) {
        return (None, Some(iid));
    }
    if seen.len() >= MAX_INTERNED_NAMES {
        return (Some(text(name)), None);
    }
    let iid = seen.len() as u64 + 1;
    seen.insert(name.into(), iid);
    new.push(EventName {
        iid: Some(iid),
        name: Some(text(name)),
    });
    (None, Some(iid))
}

/// `s` with invalid UTF-8 replaced as Go's JSON encoder replaces it.
fn text(s: &[u8]) -> Vec<u8> {
    if std::str::from_utf8(s).is_ok() {
        return s.to_vec();
    }
    let mut out = Vec::with_capacity(s.len() + 8);
    crate::json::go_utf8(s, |piece| out.extend_from_slice(piece.as_bytes()));
    out
}

fn annotation(name: &str) -> DebugAnnotation {
    DebugAnnotation {
        name: Some(name.as_bytes().to_vec()),
        ..DebugAnnotation::default()
    }
}

fn uint(name: &str, v: u64) -> DebugAnnotation {
    DebugAnnotation {
        uint_value: Some(v),
        ..annotation(name)
    }
}

/// The arguments of a slice or instant, as the JSON has them (zeros it omits omitted).
fn annotations(args: &Args<'_>) -> Vec<DebugAnnotation> {
    let mut out = Vec::new();
    let mut nonzero = |name, v| {
        if v != 0 {
            out.push(uint(name, v));
        }
    };
    match *args {
        Args::Sched { thread, proc } => {
            nonzero("thread", thread);
            nonzero("proc", proc);
        }
        Args::Task { id, start_g, end_g } => {
            out.push(uint("id", id));
            out.extend(
                [("start_g", start_g), ("end_g", end_g)]
                    .into_iter()
                    .filter(|&(_, v)| v != 0)
                    .map(|(n, v)| uint(n, v)),
            );
        }
        Args::TaskId(id) => out.push(uint("taskid", id)),
        Args::Blocked(b) => out.push(DebugAnnotation {
            string_value: Some(if b { b"yes".to_vec() } else { b"no".to_vec() }),
            ..annotation("blocked")
        }),
        _ => {}
    }
    out
}

/// A counter event's values, named as in the JSON.
fn counter_values(args: &Args<'_>) -> Vec<(&'static str, i64)> {
    let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    match *args {
        Args::Goroutines {
            running,
            runnable,
            gc_waiting,
        } => vec![
            ("Running", i(running)),
            ("Runnable", i(runnable)),
            ("GCWaiting", i(gc_waiting)),
        ],
        Args::Threads {
            running,
            in_syscall,
        } => vec![("Running", running), ("InSyscall", in_syscall)],
        Args::Heap { allocated, next_gc } => {
            vec![("Allocated", i(allocated)), ("NextGC", i(next_gc))]
        }
        _ => Vec::new(),
    }
}

/// A sort index as Perfetto's `int32` rank (clamped).
fn rank32(i: i64) -> i32 {
    i32::try_from(i).unwrap_or(if i < 0 { i32::MIN } else { i32::MAX })
}

/// A timestamp of the JSON (ns from the trace's first event) as Perfetto's unsigned one;
/// the JSON's negative times (an open range of unknown start) become 0.
fn time(ts: i64) -> u64 {
    u64::try_from(ts).unwrap_or(0)
}

impl Writer {
    /// Whether the slice `begin..end` crosses one of the last slices of `track`; if not, it
    /// is remembered as the track's latest.
    fn crosses(&mut self, track: u64, begin: i64, end: i64) -> bool {
        let Some(t) = self.tracks.get_mut((track as usize).wrapping_sub(1)) else {
            return false;
        };
        let cross = |&(b, e): &(i64, i64)| {
            (b < begin && begin < e && e < end) || (begin < b && b < end && end < e)
        };
        if t.recent.iter().chain(&t.long).any(cross) {
            return true;
        }
        t.recent_at = (t.recent_at + 1) % RECENT_SLICES;
        if let Some(r) = t.recent.get_mut(t.recent_at) {
            *r = (begin, end);
        }
        if end.saturating_sub(begin) >= LONG_SLICE {
            t.long_at = (t.long_at + 1) % RECENT_SLICES;
            if let Some(r) = t.long.get_mut(t.long_at) {
                *r = (begin, end);
            }
        }
        false
    }

    /// The track of `key`, described (to `out`) when new and `announce` is set.
    fn track(&mut self, key: Key<'_>, out: &mut Vec<u8>, announce: bool) -> u64 {
        let found = match key {
            Key::Section(pid) => self.index.sections.iter().find(|s| s.0 == pid).map(|s| s.1),
            Key::Lane(pid, tid) => self.index.lanes.get(&(pid, tid)).copied(),
            Key::Child(pid, tid, n) => {
                let lane = self.track(Key::Lane(pid, tid), out, announce);
                self.index
                    .children
                    .get(&lane)
                    .and_then(|c| c.iter().find(|c| *c.0 == *n))
                    .map(|c| c.1)
            }
            Key::Counter(n, arg) => self
                .index
                .counters
                .iter()
                .find(|c| *c.0 == *n && c.1 == arg)
                .map(|c| c.2),
        };
        if let Some(uuid) = found {
            return uuid;
        }
        let mut name = Vec::new();
        let (parent, counter, has_children) = match key {
            Key::Section(pid) => {
                crate::json::uint(&mut name, pid);
                (None, false, true)
            }
            Key::Lane(pid, tid) => {
                crate::json::uint(&mut name, tid);
                let section = self.track(Key::Section(pid), out, announce);
                (Some(section), false, true)
            }
            Key::Child(pid, tid, n) => {
                name = text(n);
                (
                    Some(self.track(Key::Lane(pid, tid), out, announce)),
                    false,
                    false,
                )
            }
            Key::Counter(n, arg) => {
                name = text(n);
                name.push(b' ');
                name.extend_from_slice(arg.as_bytes());
                let stats = Key::Section(crate::emitter::STATS_SECTION);
                (Some(self.track(stats, out, announce)), true, false)
            }
        };
        let uuid = self.tracks.len() as u64 + 1;
        // Sections and lanes in Go's order, children and counters in the order they appear.
        let rank = match key {
            Key::Section(pid) => Some(crate::emitter::section_rank(pid)),
            Key::Lane(..) => self.lane_rank,
            _ => i64::try_from(uuid).ok(),
        };
        self.tracks.push(Track {
            recent: [(0, 0); RECENT_SLICES],
            recent_at: 0,
            long: [(0, 0); RECENT_SLICES],
            long_at: 0,
            parent,
            name,
            rank: rank.map(rank32),
            go_rank: None,
            counter,
            has_children,
        });
        match key {
            Key::Section(pid) => self.index.sections.push((pid, uuid)),
            Key::Lane(pid, tid) => drop(self.index.lanes.insert((pid, tid), uuid)),
            Key::Child(_, _, n) => {
                let lane = parent.unwrap_or(0);
                self.index
                    .children
                    .entry(lane)
                    .or_default()
                    .push((n.into(), uuid));
            }
            Key::Counter(n, arg) => self.index.counters.push((n.into(), arg, uuid)),
        }
        if announce {
            self.describe(uuid, false, out);
        }
        uuid
    }

    /// Describes track `uuid`; the `last` time, sections and lanes have the rank of Go's
    /// metadata.
    fn describe(&mut self, uuid: u64, last: bool, out: &mut Vec<u8>) {
        let Some(t) = uuid
            .checked_sub(1)
            .and_then(|i| self.tracks.get(usize::try_from(i).ok()?))
        else {
            return;
        };
        let d = TrackDescriptor {
            uuid: Some(uuid),
            name: Some(t.name.clone()),
            parent_uuid: t.parent,
            counter: t.counter.then(CounterDescriptor::default),
            child_ordering: t.has_children.then_some(ORDERING_EXPLICIT),
            sibling_order_rank: if last && t.has_children {
                t.go_rank
            } else {
                t.rank
            },
        };
        self.packet(
            TracePacket {
                track_descriptor: Some(Box::new(d)),
                ..TracePacket::default()
            },
            out,
        );
    }

    /// Appends `p` as field 1 of a `Trace`, on the sequence; the first packet clears the
    /// sequence's state.
    fn packet(&mut self, mut p: TracePacket, out: &mut Vec<u8>) {
        use prost::Message;
        p.trusted_packet_sequence_id = Some(SEQUENCE_ID);
        if !self.started {
            self.started = true;
            p.first_packet_on_sequence = Some(true);
            p.sequence_flags = Some(SEQ_INCREMENTAL_STATE_CLEARED | p.sequence_flags.unwrap_or(0));
        }
        out.push(0x0a);
        // Writing to a Vec cannot fail.
        let _ = p.encode_length_delimited(out);
    }

    /// The callstack of frame `id` (0: none), interning what the sequence lacks.
    fn callstack(&mut self, id: u64, frames: &Frames) -> Option<u64> {
        let i = usize::try_from(id).ok().filter(|&i| i != 0)?;
        if self.stacks_done.get(i).copied().unwrap_or(false) {
            return Some(id);
        }
        let mut chain = Vec::new();
        let mut node = id;
        while let Some((name, parent)) = frames.node(node) {
            chain.push(node);
            let n = usize::try_from(node).unwrap_or(usize::MAX);
            if !self.frames_done.get(n).copied().unwrap_or(false) {
                if self.frames_done.len() <= n {
                    self.frames_done.resize(n + 1, false);
                }
                if let Some(d) = self.frames_done.get_mut(n) {
                    *d = true;
                }
                // The node's name is `func:line`.
                let (func, line) = match name.iter().rposition(|&b| b == b':') {
                    Some(p) => {
                        let line = std::str::from_utf8(name.get(p + 1..).unwrap_or_default())
                            .ok()
                            .and_then(|l| l.parse::<u32>().ok());
                        match line {
                            Some(l) => (name.get(..p).unwrap_or_default(), Some(l)),
                            None => (name, None),
                        }
                    }
                    None => (name, None),
                };
                let next = self.functions.len() as u64 + 1;
                let fid = *self.functions.entry(func.into()).or_insert_with(|| {
                    self.pending.function_names.push(InternedString {
                        iid: Some(next),
                        str: Some(text(func)),
                    });
                    next
                });
                self.pending.frames.push(Frame {
                    iid: Some(node),
                    function_name_id: Some(fid),
                    line_number: line,
                });
            }
            node = u64::from(parent);
        }
        chain.reverse();
        self.pending.callstacks.push(Callstack {
            iid: Some(id),
            frame_ids: chain,
        });
        if self.stacks_done.len() <= i {
            self.stacks_done.resize(i + 1, false);
        }
        if let Some(d) = self.stacks_done.get_mut(i) {
            *d = true;
        }
        Some(id)
    }

    /// One event: a track event with its stack, or for metadata, a track's name or order.
    fn emit(
        &mut self,
        ts: i64,
        mut te: TrackEvent,
        stack: u64,
        frames: &Frames,
        out: &mut Vec<u8>,
    ) {
        te.callstack_iid = self.callstack(stack, frames);
        let d = &self.pending;
        let has_data = !(d.callstacks.is_empty()
            && d.frames.is_empty()
            && d.function_names.is_empty()
            && d.event_names.is_empty()
            && d.event_categories.is_empty());
        // Boxed: most packets have none, and a packet is moved whole on its way out.
        let data = has_data.then(|| Box::new(std::mem::take(&mut self.pending)));
        self.packet(
            TracePacket {
                timestamp: Some(time(ts)),
                track_event: Some(te),
                interned_data: data,
                sequence_flags: Some(SEQ_NEEDS_INCREMENTAL_STATE),
                ..TracePacket::default()
            },
            out,
        );
    }

    /// Whether lane `tid` of section `pid` has its track already.
    pub(crate) fn has_lane(&self, pid: u64, tid: u64) -> bool {
        self.index.lanes.contains_key(&(pid, tid))
    }

    /// Writes the packets of one event of the JSON to `out`; `lane_rank` is the sort index Go
    /// will give its lane, needed only when the lane is new ([`has_lane`](Self::has_lane)).
    pub(crate) fn event(
        &mut self,
        ev: &Event<'_>,
        lane_rank: Option<i64>,
        frames: &Frames,
        out: &mut Vec<u8>,
    ) {
        self.lane_rank = lane_rank;
        // Slices and instants repeat names (goroutines, "syscall", "proc start") and
        // categories: each is written once, and events give its ID.
        let (name, name_iid, category, category_iid) =
            if matches!(ev.ph, "X" | "b" | "e" | "I" | "s" | "t") {
                let (n, ni) = intern_name(ev.name, &mut self.names, &mut self.pending.event_names);
                let (c, ci) = intern_name(
                    ev.cat,
                    &mut self.categories,
                    &mut self.pending.event_categories,
                );
                (n, ni, c, ci)
            } else {
                (None, None, None, None)
            };
        let base = |ty: i32, track: u64| TrackEvent {
            r#type: Some(ty),
            track_uuid: Some(track),
            name: name.clone(),
            name_iid,
            categories: category.clone().into_iter().collect(),
            category_iids: category_iid.into_iter().collect(),
            ..TrackEvent::default()
        };
        match ev.ph {
            "M" => self.metadata(ev),
            "X" => {
                let key = if ev.sub_lane.is_empty() {
                    Key::Lane(ev.pid, ev.tid)
                } else {
                    Key::Child(ev.pid, ev.tid, ev.sub_lane)
                };
                let end_ts = ev.ts.saturating_add(ev.dur);
                let mut track = self.track(key, out, true);
                let mut overlap = 0u32;
                while self.crosses(track, ev.ts, end_ts) {
                    overlap += 1;
                    let mut name = b"overlapping".to_vec();
                    if overlap > 1 {
                        name.push(b' ');
                        crate::json::uint(&mut name, u64::from(overlap));
                    }
                    track = self.track(Key::Child(ev.pid, ev.tid, &name), out, true);
                }
                let begin = TrackEvent {
                    debug_annotations: annotations(&ev.args),
                    ..base(TYPE_SLICE_BEGIN, track)
                };
                self.emit(ev.ts, begin, ev.sf, frames, out);
                let end = TrackEvent {
                    r#type: Some(TYPE_SLICE_END),
                    track_uuid: Some(track),
                    ..TrackEvent::default()
                };
                self.emit(end_ts, end, ev.esf, frames, out);
            }
            "b" | "e" => {
                let key = Key::Child(ev.pid, ev.tid, b"regions");
                let track = self.track(key, out, true);
                let ty = if ev.ph == "b" {
                    TYPE_SLICE_BEGIN
                } else {
                    TYPE_SLICE_END
                };
                let te = TrackEvent {
                    debug_annotations: annotations(&ev.args),
                    ..base(ty, track)
                };
                self.emit(ev.ts, te, ev.sf, frames, out);
            }
            "I" | "s" | "t" => {
                let track = self.track(Key::Lane(ev.pid, ev.tid), out, true);
                let mut te = TrackEvent {
                    debug_annotations: annotations(&ev.args),
                    ..base(TYPE_INSTANT, track)
                };
                match ev.ph {
                    "s" => te.flow_ids.push(ev.id),
                    "t" => te.terminating_flow_ids.push(ev.id),
                    _ => {}
                }
                self.emit(ev.ts, te, ev.sf, frames, out);
            }
            "C" => {
                for (arg, v) in counter_values(&ev.args) {
                    let track = self.track(Key::Counter(ev.name, arg), out, true);
                    let te = TrackEvent {
                        r#type: Some(TYPE_COUNTER),
                        track_uuid: Some(track),
                        counter_value: Some(v),
                        ..TrackEvent::default()
                    };
                    self.emit(ev.ts, te, 0, frames, out);
                }
            }
            _ => {}
        }
    }

    /// A name or sort index of a section or lane (described at the end).
    fn metadata(&mut self, ev: &Event<'_>) {
        let key = match ev.name {
            b"process_name" | b"process_sort_index" => Key::Section(ev.pid),
            _ => Key::Lane(ev.pid, ev.tid),
        };
        let uuid = self.track(key, &mut Vec::new(), false);
        let Some(t) = uuid
            .checked_sub(1)
            .and_then(|i| self.tracks.get_mut(usize::try_from(i).ok()?))
        else {
            return;
        };
        match ev.args {
            Args::Name(n) => t.name = text(n),
            Args::SortIndex(i) => t.go_rank = Some(rank32(i)),
            _ => {}
        }
    }

    /// Describes every track again, with the names and order the metadata gave.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            self.packet(TracePacket::default(), out);
        }
        for uuid in 1..=self.tracks.len() as u64 {
            self.describe(uuid, true, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emitter::{Emitter, Instant, Slice};
    use prost::Message;

    #[test]
    fn names_past_the_interned_limit_are_written_in_the_event() {
        let (mut seen, mut new) = (NameMap::default(), Vec::new());
        assert_eq!(intern_name(b"", &mut seen, &mut new), (None, None));
        assert_eq!(
            intern_name(b"G1 main.main", &mut seen, &mut new),
            (None, Some(1))
        );
        assert_eq!(
            intern_name(b"G1 main.main", &mut seen, &mut new),
            (None, Some(1))
        );
        assert_eq!(new.len(), 1);
        for i in seen.len()..MAX_INTERNED_NAMES {
            seen.insert(format!("G{i}").into_bytes().into(), i as u64 + 1);
        }
        let name = &b"G99999999 main.worker"[..];
        assert_eq!(
            intern_name(name, &mut seen, &mut new),
            (Some(name.to_vec()), None)
        );
        // Those interned before keep their IDs.
        assert_eq!(
            intern_name(b"G1 main.main", &mut seen, &mut new),
            (None, Some(1))
        );
        assert_eq!((seen.len(), new.len()), (MAX_INTERNED_NAMES, 1));
    }

    #[test]
    fn a_slice_and_an_instant_share_an_interned_stack() {
        let mut e = Emitter::new(Vec::new(), (0, i64::MAX), (0, i64::MAX), true);
        let frames = [(0x20, &b"main.f"[..], 7), (0x10, &b"main.main"[..], 3)];
        let stk = e.stack_of(frames.into_iter());
        e.slice(Slice {
            name: b"G1 main.main",
            ts: 1500,
            dur: 250,
            resource: 3,
            stack: 0,
            end_stack: stk,
            args: Args::None,
            sub_lane: b"",
        });
        e.instant(Instant {
            name: b"proc start",
            cat: b"",
            ts: 1600,
            resource: 3,
            stack: stk,
            args: Args::Sched { thread: 9, proc: 3 },
        });
        e.set_resource_type("PROCS");
        e.resource(3, b"Proc 3".to_vec());
        let bytes = e.flush().unwrap();
        let trace = Trace::decode(&bytes[..]).unwrap();
        let events: Vec<(u64, &TrackEvent)> = trace
            .packet
            .iter()
            .filter_map(|p| Some((p.timestamp?, p.track_event.as_ref()?)))
            .collect();
        let types: Vec<(u64, Option<i32>)> = events.iter().map(|(t, e)| (*t, e.r#type)).collect();
        assert_eq!(
            types,
            [
                (1500, Some(TYPE_SLICE_BEGIN)),
                (1750, Some(TYPE_SLICE_END)),
                (1600, Some(TYPE_INSTANT))
            ]
        );
        // Names are interned, each once, by the first event that has it.
        assert_eq!(
            (events[0].1.name.as_ref(), events[0].1.name_iid),
            (None, Some(1))
        );
        assert_eq!(events[1].1.name_iid, None);
        assert_eq!(events[2].1.name_iid, Some(2));
        let names: Vec<(Option<u64>, Vec<u8>)> = trace
            .packet
            .iter()
            .filter_map(|p| p.interned_data.as_deref())
            .flat_map(|d| &d.event_names)
            .map(|n| (n.iid, n.name.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            names,
            [
                (Some(1), b"G1 main.main".to_vec()),
                (Some(2), b"proc start".to_vec())
            ]
        );
        assert_eq!(events[0].1.callstack_iid, None);
        assert_eq!(events[1].1.callstack_iid, Some(stk));
        assert_eq!(events[2].1.callstack_iid, Some(stk));
        let args: Vec<(Vec<u8>, Option<u64>)> = events[2]
            .1
            .debug_annotations
            .iter()
            .map(|a| (a.name.clone().unwrap_or_default(), a.uint_value))
            .collect();
        assert_eq!(
            args,
            [(b"thread".to_vec(), Some(9)), (b"proc".to_vec(), Some(3))]
        );
        // The stack is interned once, outermost frame first, with the end of the slice.
        let interned: Vec<&InternedData> = trace
            .packet
            .iter()
            .filter_map(|p| p.interned_data.as_deref())
            .filter(|d| !d.callstacks.is_empty())
            .collect();
        assert_eq!(interned.len(), 1);
        let cs = &interned[0].callstacks;
        assert_eq!(cs.len(), 1);
        let names: Vec<(Vec<u8>, Option<u32>)> = cs[0]
            .frame_ids
            .iter()
            .map(|id| {
                let f = interned[0]
                    .frames
                    .iter()
                    .find(|f| f.iid == Some(*id))
                    .unwrap();
                let n = interned[0]
                    .function_names
                    .iter()
                    .find(|n| n.iid == f.function_name_id)
                    .unwrap();
                (n.str.clone().unwrap(), f.line_number)
            })
            .collect();
        assert_eq!(
            names,
            [
                (b"main.main".to_vec(), Some(3)),
                (b"main.f".to_vec(), Some(7))
            ]
        );
        // The lane, described at its first use and again with Go's name and order.
        let lane = events[0].1.track_uuid;
        let described: Vec<&TrackDescriptor> = trace
            .packet
            .iter()
            .filter_map(|p| p.track_descriptor.as_deref())
            .filter(|d| d.uuid == lane)
            .collect();
        assert_eq!(described.len(), 2);
        assert_eq!(described[0].name.as_deref(), Some(&b"3"[..]));
        assert_eq!(described[1].name.as_deref(), Some(&b"Proc 3"[..]));
        assert_eq!(described[1].sibling_order_rank, Some(3));
    }
}
