//! The timeline of `go tool trace`: the Chrome trace-event JSON its `/jsontrace` handler
//! serves to the Catapult viewer, byte for byte as Go 1.27 writes it, streamed from a trace
//! of any version.
//!
//! A [`Timeline`] is an [`EventSink`](trace_model::EventSink): feed it the ordered events of a
//! trace ([`Reader::feed`](trace_model::Reader::feed) or
//! [`Reader::feed_pipelined`](trace_model::Reader::feed_pipelined)) and it writes the JSON to
//! an [`io::Write`] as it goes; [`Timeline::finish`] writes what Go writes at the end (slices
//! still open, the lane names and the stack frames) and gives the writer back. Memory holds
//! the state of open goroutines, Ps and ranges and the stack-frame tree, never the output.
//!
//! ```
//! # fn main() -> Result<(), trace_viewer::Error> {
//! let bytes = std::fs::read("../../testdata/traces/go1.27.3/chan.trace").unwrap();
//! let mut timeline = trace_viewer::Timeline::new(Vec::new(), trace_viewer::Options::default());
//! trace_model::Reader::new(&bytes)?.feed(&mut timeline)?;
//! let json = timeline.finish()?;
//! assert!(json.starts_with(b"{\"displayTimeUnit\":\"ns\"\n,\"traceEvents\": ["));
//! # Ok(()) }
//! ```
//!
//! With [`Format::Perfetto`] in the [`Options`], the same events are written as a native
//! Perfetto trace instead (see [`perfetto`]): the slices, instants, counters and arrows of
//! the JSON, on one track per lane in Go's order, with integer-ns times and interned stacks
//! and names, for ui.perfetto.dev.
//!
//! What Go leaves to map order (the order of slices written together at a stop or at the end,
//! and of the metadata) comes out in a fixed order here: by goroutine, P, M or name. That is
//! one of the outputs Go can give.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[allow(dead_code)] // The task views and the splitter use the rest (to come).
mod emitter;
mod gstate;
#[allow(dead_code)]
mod json;
pub mod perfetto;
mod split;
mod view;

pub use split::Range;

use std::io::{self, Write};
pub use view::View;

/// What can go wrong making a timeline.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The trace could not be read.
    #[error(transparent)]
    Trace(#[from] trace_model::Error),
    /// Writing the output failed.
    #[error("writing the timeline: {0}")]
    Io(#[from] io::Error),
}

/// What part of the timeline to write: Go's `/jsontrace` query.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The lanes (`view=`).
    pub view: View,
    /// Go's `start`/`end`: the first and last index (inclusive) of the non-metadata events to
    /// write; the metadata and the frames the written events need are always written.
    pub index_window: Option<(i64, i64)>,
    /// Go's `goid=N`: the goroutine view of N and the goroutines related to it, over N's life
    /// (sets the view to [`View::Goroutine`]).
    pub focus: Option<Focus>,
    /// Go's `focustask=N`: the proc view over the task's span, with a `TASKS` section of the
    /// task and its descendants (ignored with [`focus`](Self::focus), as Go ignores it with
    /// `goid`).
    pub task: Option<TaskFocus>,
    /// What to write: Go's JSON, or a Perfetto trace of the same events.
    pub format: Format,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            view: View::Proc,
            index_window: None,
            focus: None,
            task: None,
            format: Format::Json,
        }
    }
}

/// The output format of a [`Timeline`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Format {
    /// The Chrome trace-event JSON of Go's `/jsontrace`, byte for byte.
    #[default]
    Json,
    /// A native Perfetto trace (a stream of `TracePacket`s, see [`perfetto`]) carrying the
    /// same slices, instants, counters and arrows as the JSON, for ui.perfetto.dev.
    Perfetto,
}

/// The goroutine a goroutine view (`goid=N`) is about, with what a first pass over the trace
/// learns: the goroutines related to it through unblocks (two steps back: who unblocked it, and
/// who unblocked those) and the window of its life, in ns from the trace's first event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Focus {
    /// The goroutine.
    pub goroutine: trace_model::GoId,
    /// The goroutines drawn, the focus included.
    pub related: std::collections::BTreeSet<trace_model::GoId>,
    /// From its first run (or the trace's start) to its end (or the trace's end).
    pub window: (i64, i64),
}

/// The task a task view (`focustask=N`) is about, with what a first pass over the trace
/// learns: its span and, for it and each descendant, where it began and ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFocus {
    /// The task.
    pub task: trace_model::TaskId,
    /// From its beginning (or the trace's start) to its end (or the trace's end), in ns from
    /// the trace's first event.
    pub window: (i64, i64),
    lanes: Vec<TaskLane>,
    /// For Go's `taskid=N`: the goroutine view of the goroutine of the task's first event,
    /// keeping the goroutines of the tasks, with their regions.
    goroutines: Option<(
        trace_model::GoId,
        std::collections::BTreeSet<trace_model::GoId>,
    )>,
}

/// A region of a task, drawn in the `taskid` view.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RegionLane {
    name: Vec<u8>,
    task: trace_model::TaskId,
    goroutine: trace_model::GoId,
    start: Option<(trace_model::Time, emitter::OwnedStack)>,
    end: Option<(trace_model::Time, emitter::OwnedStack)>,
}

/// A task's beginning or end.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TaskEnd {
    time: trace_model::Time,
    goroutine: trace_model::GoId,
    stack: emitter::OwnedStack,
}

/// One task of a task view.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TaskLane {
    id: trace_model::TaskId,
    name: Vec<u8>,
    parent: Option<trace_model::TaskId>,
    start: Option<TaskEnd>,
    end: Option<TaskEnd>,
    regions: Vec<RegionLane>,
}

/// A region event's key in the first pass: goroutine, time, beginning or end, type.
type RegionKey = (trace_model::GoId, trace_model::Time, bool, Vec<u8>);

/// The first pass of a task view: the summary and each task's first and last events.
struct TaskPass {
    summarizer: trace_model::Summarizer,
    keeper: emitter::Keeper,
    ends: std::collections::HashMap<trace_model::TaskId, (Option<TaskEnd>, Option<TaskEnd>)>,
    /// Stacks of region events (only kept for the `taskid` view).
    region_stacks: Option<std::collections::HashMap<RegionKey, emitter::OwnedStack>>,
    first: Option<trace_model::Time>,
    last: trace_model::Time,
}

impl trace_model::EventSink for TaskPass {
    fn event(&mut self, ev: &trace_model::Event) {
        self.summarizer.event(ev);
        self.first.get_or_insert(ev.time());
        self.last = ev.time();
        match ev.kind() {
            trace_model::EventKind::Sync => self.keeper.clear(),
            k @ (trace_model::EventKind::TaskBegin | trace_model::EventKind::TaskEnd) => {
                let Some(t) = ev.task() else { return };
                let end = TaskEnd {
                    time: ev.time(),
                    goroutine: ev.goroutine(),
                    stack: self.keeper.keep(ev.stack()),
                };
                let slot = self.ends.entry(t.id).or_default();
                if k == trace_model::EventKind::TaskBegin {
                    slot.0 = Some(end);
                } else {
                    slot.1 = Some(end);
                }
            }
            k @ (trace_model::EventKind::RegionBegin | trace_model::EventKind::RegionEnd) => {
                let Some(stacks) = self.region_stacks.as_mut() else {
                    return;
                };
                let Some(r) = ev.region() else { return };
                let key = (
                    ev.goroutine(),
                    ev.time(),
                    k == trace_model::EventKind::RegionBegin,
                    r.ty.to_vec(),
                );
                let stack = self.keeper.keep(ev.stack());
                stacks.entry(key).or_insert(stack);
            }
            _ => {}
        }
    }
}

impl TaskFocus {
    /// Reads the trace for a task view of `task`; `None` if the trace has no such task, or
    /// neither its beginning nor its end (Go then answers nothing).
    pub fn task(bytes: &[u8], task: trace_model::TaskId) -> Result<Option<TaskFocus>, Error> {
        Self::read(bytes, task, false)
    }

    /// Reads the trace for Go's other task view (`taskid=N`): the goroutine view of the
    /// goroutine of the task's first event (its beginning, else its earliest log or its end),
    /// keeping the goroutines of the task and its descendants, with their regions. `None` if
    /// the trace has no such task or Go finds no goroutine for it.
    pub fn task_goroutines(
        bytes: &[u8],
        task: trace_model::TaskId,
    ) -> Result<Option<TaskFocus>, Error> {
        Self::read(bytes, task, true)
    }

    fn read(
        bytes: &[u8],
        task: trace_model::TaskId,
        goroutine_view: bool,
    ) -> Result<Option<TaskFocus>, Error> {
        let mut pass = TaskPass {
            summarizer: trace_model::Summarizer::new(),
            keeper: emitter::Keeper::default(),
            ends: Default::default(),
            region_stacks: goroutine_view.then(Default::default),
            first: None,
            last: 0,
        };
        trace_model::Reader::new(bytes)?.feed(&mut pass)?;
        let summary = pass.summarizer.finish();
        let Some(t) = summary.tasks.get(&task) else {
            return Ok(None);
        };
        if !goroutine_view && t.start.is_none() && t.end.is_none() {
            return Ok(None);
        }
        let first = pass.first.unwrap_or(0);
        let window = (
            t.start.as_ref().map_or(0, |e| e.time.wrapping_sub(first)),
            t.end
                .as_ref()
                .map_or(pass.last, |e| e.time)
                .wrapping_sub(first),
        );
        // The task and its descendants, depth first, as Go lists them.
        let mut ids = Vec::new();
        let mut todo = vec![task];
        while let Some(id) = todo.pop() {
            if ids.len() > summary.tasks.len() {
                break; // A cycle of parents can't be in a sound trace; don't loop on one.
            }
            ids.push(id);
            if let Some(t) = summary.tasks.get(&id) {
                todo.extend(t.children.iter().rev());
            }
        }
        let mut lanes: Vec<TaskLane> = ids
            .into_iter()
            .filter_map(|id| {
                let t = summary.tasks.get(&id)?;
                let (start, end) = pass.ends.remove(&id).unwrap_or_default();
                let mut regions = Vec::new();
                if let Some(stacks) = pass.region_stacks.as_mut() {
                    for r in t.regions.iter().filter_map(|&i| summary.regions.get(i)) {
                        let get = |e: &Option<trace_model::summary::EventRef>, begin| {
                            e.as_ref().map(|e| {
                                let key = (r.goroutine, e.time, begin, r.name.to_vec());
                                (e.time, stacks.get(&key).cloned().flatten())
                            })
                        };
                        regions.push(RegionLane {
                            name: r.name.to_vec(),
                            task: r.task,
                            goroutine: r.goroutine,
                            start: get(&r.start, true),
                            end: get(&r.end, false),
                        });
                    }
                }
                Some(TaskLane {
                    id,
                    name: t.name.clone(),
                    parent: t.parent,
                    start: t.start.as_ref().and(start),
                    end: t.end.as_ref().and(end),
                    regions,
                })
            })
            .collect();
        let (ts, te) = (first, pass.last);
        lanes.sort_by(|a, b| {
            let (sa, sb) = (
                a.start.as_ref().map_or(ts, |s| s.time),
                b.start.as_ref().map_or(ts, |s| s.time),
            );
            let same_start = a.start.is_none() && b.start.is_none();
            if !same_start && sa != sb {
                return sa.cmp(&sb);
            }
            let (ea, eb) = (
                a.end.as_ref().map_or(te, |s| s.time),
                b.end.as_ref().map_or(te, |s| s.time),
            );
            ea.cmp(&eb)
        });
        let mut goroutines = None;
        if goroutine_view {
            // The goroutine of the task's first event.
            let mut first_ev: Option<(trace_model::Time, trace_model::GoId)> = t
                .start
                .as_ref()
                .and(lanes.iter().find(|l| l.id == task))
                .and_then(|l| l.start.as_ref().map(|s| (s.time, s.goroutine)));
            if t.start.is_none() {
                for log in &t.logs {
                    if first_ev.is_none_or(|(ft, _)| log.time < ft) {
                        first_ev = Some((log.time, log.goroutine));
                    }
                }
                let end = lanes
                    .iter()
                    .find(|l| l.id == task)
                    .and_then(|l| l.end.as_ref());
                if let Some(e) = end {
                    if first_ev.is_none_or(|(ft, _)| e.time < ft) {
                        first_ev = Some((e.time, e.goroutine));
                    }
                }
            }
            let Some((_, g)) = first_ev.filter(|(_, g)| *g != trace_model::NO_GOROUTINE) else {
                return Ok(None);
            };
            let mut set = std::collections::BTreeSet::new();
            for l in &lanes {
                if let Some(t) = summary.tasks.get(&l.id) {
                    set.extend(t.goroutines.iter().copied());
                }
            }
            goroutines = Some((g, set));
        }
        Ok(Some(TaskFocus {
            task,
            window,
            lanes,
            goroutines,
        }))
    }
}

/// The first pass of a goroutine view: unblock edges, the summary and the trace's span.
struct FocusPass {
    summarizer: trace_model::Summarizer,
    edges: std::collections::BTreeSet<(trace_model::GoId, trace_model::GoId)>,
    first: Option<trace_model::Time>,
    last: trace_model::Time,
}

impl trace_model::EventSink for FocusPass {
    fn event(&mut self, ev: &trace_model::Event) {
        self.summarizer.event(ev);
        self.first.get_or_insert(ev.time());
        self.last = ev.time();
        if ev.goroutine() == trace_model::NO_GOROUTINE {
            return;
        }
        let Some(st) = ev.state_transition() else {
            return;
        };
        if let Some((from, to)) = st.goroutine() {
            if from != to && from == trace_model::GoState::Waiting {
                self.edges.insert((ev.goroutine(), st.resource.id));
            }
        }
    }
}

impl Focus {
    /// Reads the trace for a goroutine view of `goroutine`; `None` if the trace has no such
    /// goroutine (Go then answers nothing).
    pub fn goroutine(bytes: &[u8], goroutine: trace_model::GoId) -> Result<Option<Focus>, Error> {
        let mut pass = FocusPass {
            summarizer: trace_model::Summarizer::new(),
            edges: Default::default(),
            first: None,
            last: 0,
        };
        trace_model::Reader::new(bytes)?.feed(&mut pass)?;
        let summary = pass.summarizer.finish();
        let Some(g) = summary.goroutines.get(&goroutine) else {
            return Ok(None);
        };
        let first = pass.first.unwrap_or(0);
        let start = g.start.map_or(0, |t| t.wrapping_sub(first));
        let end = g.end.unwrap_or(pass.last).wrapping_sub(first);
        let mut related = std::collections::BTreeSet::from([goroutine]);
        for _ in 0..2 {
            let mut next = related.clone();
            for (operator, operand) in &pass.edges {
                if related.contains(operand) {
                    next.insert(*operator);
                }
            }
            related = next;
        }
        Ok(Some(Focus {
            goroutine,
            related,
            window: (start, end),
        }))
    }
}

impl Options {
    /// The given view, whole.
    pub fn view(view: View) -> Options {
        Options {
            view,
            ..Options::default()
        }
    }
}

/// The timeline being written: an [`EventSink`](trace_model::EventSink).
pub struct Timeline<W: Write> {
    emitter: emitter::Emitter<W>,
    gen: view::Generator,
    start: Option<trace_model::Time>,
    last: trace_model::Time,
    tasks: Vec<TaskLane>,
}

impl<W: Write> Timeline<W> {
    /// The task lanes of a task view, written before the generator's end as Go does.
    fn emit_tasks(&mut self, start: trace_model::Time) {
        let e = &mut self.emitter;
        for (i, t) in std::mem::take(&mut self.tasks).iter().enumerate() {
            let (st, sg, sstk) = match &t.start {
                Some(s) => (s.time, s.goroutine, &s.stack),
                None => (start, 0, &None),
            };
            let (et, eg, estk) = match &t.end {
                Some(s) => (s.time, s.goroutine, &s.stack),
                None => (self.last, 0, &None),
            };
            let mut name = b"T".to_vec();
            json::uint(&mut name, t.id);
            name.push(b' ');
            name.extend_from_slice(&t.name);
            e.task(t.id, name, i as i64);
            let sf = e.owned_stack(sstk);
            let esf = e.owned_stack(estk);
            e.task_slice(emitter::Slice {
                name: &t.name,
                ts: st.wrapping_sub(start),
                dur: et.wrapping_sub(st),
                resource: t.id,
                stack: sf,
                end_stack: esf,
                args: json::Args::Task {
                    id: t.id,
                    start_g: sg as u64,
                    end_g: eg as u64,
                },
                sub_lane: b"",
            });
            if let (Some(parent), Some(s)) = (t.parent, &t.start) {
                let from_stack = e.owned_stack(&s.stack);
                e.task_arrow(emitter::Arrow {
                    name: b"newTask",
                    start: s.time.wrapping_sub(start),
                    end: s.time.wrapping_sub(start),
                    from: parent,
                    to: t.id,
                    from_stack,
                });
            }
            for r in &t.regions {
                if r.name.is_empty() {
                    continue;
                }
                let (rs, rss) = match &r.start {
                    Some((time, stk)) => (*time, stk),
                    None => (start, &None),
                };
                let (re, res) = match &r.end {
                    Some((time, stk)) => (*time, stk),
                    None => (self.last, &None),
                };
                if (r.start.is_none() && r.end.is_none())
                    || r.goroutine == trace_model::NO_GOROUTINE
                {
                    continue;
                }
                let sf = e.owned_stack(rss);
                let esf = e.owned_stack(res);
                let mut scope = Vec::new();
                scope.extend_from_slice(format!("{:x}", r.task).as_bytes());
                e.async_slice(
                    emitter::Slice {
                        name: &r.name,
                        ts: rs.wrapping_sub(start),
                        dur: re.wrapping_sub(rs),
                        resource: r.goroutine as u64,
                        stack: sf,
                        end_stack: esf,
                        args: json::Args::TaskId(r.task),
                        sub_lane: b"",
                    },
                    &scope,
                    r.task,
                );
            }
        }
    }

    /// A timeline written to `out`.
    pub fn new(out: W, opts: Options) -> Timeline<W> {
        let index = opts.index_window.unwrap_or((0, i64::MAX));
        let mut window = opts.focus.as_ref().map_or((0, i64::MAX), |f| f.window);
        let mut tasks = Vec::new();
        let mut task_goroutines = None;
        if let (None, Some(t)) = (&opts.focus, &opts.task) {
            window = t.window;
            tasks = t.lanes.clone();
            task_goroutines = t.goroutines.clone();
        }
        let mut emitter =
            emitter::Emitter::new(out, window, index, opts.format == Format::Perfetto);
        let mut view = opts.view;
        if let Some((g, set)) = task_goroutines {
            view = View::Goroutine;
            emitter.filter = Some(set.iter().map(|&g| g as u64).collect());
            emitter.focus = g as u64;
        }
        if let Some(f) = &opts.focus {
            view = View::Goroutine;
            emitter.filter = Some(f.related.iter().map(|&g| g as u64).collect());
            emitter.focus = f.goroutine as u64;
        }
        Timeline {
            emitter,
            gen: view::Generator::new(view),
            start: None,
            last: 0,
            tasks,
        }
    }

    /// Ends the timeline at the last event fed and returns the writer.
    pub fn finish(mut self) -> Result<W, Error> {
        let start = self.start.unwrap_or(0);
        self.emit_tasks(start);
        self.gen.finish(&mut self.emitter, start, self.last);
        Ok(self.emitter.flush()?)
    }
}

impl<W: Write> trace_model::EventSink for Timeline<W> {
    fn event(&mut self, ev: &trace_model::Event) {
        let start = *self.start.get_or_insert(ev.time());
        self.last = ev.time();
        self.gen.event(&mut self.emitter, start, ev);
    }
}

/// Go's ranges of the proc view (the links of `go tool trace`'s index page when the timeline
/// is over 100 MiB of JSON): empty when it fits in one. Two passes over the trace that write
/// nothing: one for the size of the metadata, one counting every event as Go does.
pub fn ranges(bytes: &[u8]) -> Result<Vec<Range>, Error> {
    let mut count = Timeline::new(std::io::sink(), Options::default());
    count.emitter.c.write = false;
    trace_model::Reader::new(bytes)?.feed(&mut count)?;
    let start = count.start.unwrap_or(0);
    count.gen.finish(&mut count.emitter, start, count.last);
    let (required, _) = count.emitter.finish_counting();

    let mut split = Timeline::new(std::io::sink(), Options::default());
    split.emitter.c.write = false;
    split.emitter.c.split = Some(split::Splitter::new(100 << 20, required));
    trace_model::Reader::new(bytes)?.feed(&mut split)?;
    let start = split.start.unwrap_or(0);
    split.gen.finish(&mut split.emitter, start, split.last);
    let (_, splitter) = split.emitter.finish_counting();
    Ok(splitter.map(split::Splitter::finish).unwrap_or_default())
}

/// Writes the timeline of the trace in `bytes` to `out`, in the format of `opts` (Go's JSON
/// by default).
pub fn write_json<W: Write>(bytes: &[u8], opts: Options, out: W) -> Result<W, Error> {
    let mut t = Timeline::new(out, opts);
    trace_model::Reader::new(bytes)?.feed(&mut t)?;
    t.finish()
}
