//! The Perfetto export carries what the JSON carries: for every testdata trace and each view
//! (proc, thread, goroutine 1, the two task views of task 1, an index window), the Perfetto
//! trace is decoded (prost, with the crate's messages) and its slices, regions, instants,
//! arrows, counter values and lanes are compared, as multisets, with those of the JSON written
//! for the same options (the JSON that `goldens.rs` proves is Go's).
//!
//! Each record names its lane by section and lane name (the JSON's `process_name` and
//! `thread_name`, else the number), its stacks by the chain of frame names, its arguments by
//! name and value, and times in ns.

use prost::Message;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
mod common;
use common::traces;
use std::path::Path;
use trace_viewer::perfetto::{self as pf, TracePacket};
use trace_viewer::{Format, Options, View};

/// One thing drawn: kind, section, lane, name, times, stacks, arguments, category.
type Record = (
    &'static str,
    String,
    String,
    String,
    Vec<i64>,
    Vec<Vec<String>>,
    BTreeMap<String, String>,
    String,
);

/// What a timeline draws, and its lanes (section, lane name, order).
#[derive(Debug, PartialEq)]
struct Drawn {
    records: Vec<Record>,
    lanes: Vec<(String, String, Option<i64>)>,
}

fn ns(v: &Value) -> i64 {
    (v.as_f64().unwrap() * 1000.0).round() as i64
}

fn value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

fn from_json(doc: &[u8]) -> Drawn {
    let doc: Value = serde_json::from_slice(doc).unwrap();
    let events = doc["traceEvents"].as_array().cloned().unwrap_or_default();
    let frames = doc["stackFrames"].as_object().unwrap();
    let chain = |id: Option<u64>| -> Vec<String> {
        let mut out = Vec::new();
        let mut id = id.unwrap_or(0);
        while id != 0 {
            let f = &frames[&id.to_string()];
            out.push(f["name"].as_str().unwrap().to_string());
            id = f["parent"].as_u64().unwrap_or(0);
        }
        out.reverse();
        out
    };
    let (mut sections, mut names) = (HashMap::new(), HashMap::new());
    let (mut section_rank, mut ranks) = (HashMap::new(), HashMap::new());
    for e in &events {
        if e["ph"] != "M" {
            continue;
        }
        let (pid, tid) = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        let args = &e["args"];
        match e["name"].as_str().unwrap() {
            "process_name" => drop(sections.insert(pid, value(&args["name"]))),
            "process_sort_index" => drop(section_rank.insert(pid, args["sort_index"].as_i64())),
            "thread_name" => drop(names.insert((pid, tid), value(&args["name"]))),
            "thread_sort_index" => drop(ranks.insert((pid, tid), args["sort_index"].as_i64())),
            n => panic!("metadata {n}"),
        }
    }
    let section = |pid: u64| sections.get(&pid).cloned().unwrap_or(pid.to_string());
    let lane = |pid: u64, tid: u64| names.get(&(pid, tid)).cloned().unwrap_or(tid.to_string());
    let mut records = Vec::new();
    for e in &events {
        let ph = e["ph"].as_str().unwrap();
        let (pid, tid) = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        let name = e["name"].as_str().unwrap_or("").to_string();
        let cat = e["cat"].as_str().unwrap_or("").to_string();
        let args: BTreeMap<String, String> = e["args"]
            .as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), value(v))).collect())
            .unwrap_or_default();
        let (s, l) = (section(pid), lane(pid, tid));
        let (sf, esf) = (chain(e["sf"].as_u64()), chain(e["esf"].as_u64()));
        let ts = ns(&e["ts"]);
        match ph {
            "M" => {}
            "X" => {
                let dur = e.get("dur").map_or(0, ns);
                records.push(("X", s, l, name, vec![ts, dur], vec![sf, esf], args, cat));
            }
            "b" | "e" | "I" => {
                let kind = match ph {
                    "b" => "b",
                    "e" => "e",
                    _ => "I",
                };
                records.push((kind, s, l, name, vec![ts], vec![sf], args, cat));
            }
            "s" | "t" => {
                let id = e["id"].as_i64().unwrap();
                let kind = if ph == "s" { "s" } else { "t" };
                records.push((kind, s, l, name, vec![ts, id], vec![sf], args, cat));
            }
            "C" => {
                for (k, v) in &args {
                    let counter = format!("{name} {k}");
                    let v: i64 = v.parse().unwrap();
                    let no = BTreeMap::new();
                    records.push((
                        "C",
                        s.clone(),
                        counter,
                        String::new(),
                        vec![ts, v],
                        vec![],
                        no,
                        cat.clone(),
                    ));
                }
            }
            p => panic!("phase {p}"),
        }
    }
    records.sort();
    // Lanes with events but no name (an arrow from no proc) are drawn too.
    let mut unnamed = std::collections::BTreeSet::new();
    for e in &events {
        let (pid, tid) = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        if !matches!(e["ph"].as_str(), Some("M" | "C")) && !names.contains_key(&(pid, tid)) {
            unnamed.insert((section(pid), tid.to_string(), None));
        }
    }
    let mut lanes: Vec<_> = sections
        .iter()
        .map(|(pid, n)| {
            (
                String::new(),
                n.clone(),
                section_rank.get(pid).copied().flatten(),
            )
        })
        .chain(names.iter().map(|(&(pid, tid), n)| {
            (
                section(pid),
                n.clone(),
                ranks.get(&(pid, tid)).copied().flatten(),
            )
        }))
        .chain(unnamed)
        .collect();
    lanes.sort();
    Drawn { records, lanes }
}

/// Takes in a packet's interned data: function names, frames (as `func:line`) and callstacks
/// (as chains of frames) by ID; each ID is interned once.
/// The sequence's interned data so far: event names and categories, function names, frames
/// and stacks, by ID.
#[derive(Default)]
struct Interned {
    names: HashMap<u64, String>,
    categories: HashMap<u64, String>,
    functions: HashMap<u64, String>,
    frames: HashMap<u64, String>,
    stacks: HashMap<u64, Vec<String>>,
}

fn intern(p: &TracePacket, seen: &mut Interned) {
    let Interned {
        names,
        categories,
        functions,
        frames,
        stacks,
    } = seen;
    if let Some(d) = &p.interned_data {
        for (new, into) in [(&d.event_names, names), (&d.event_categories, categories)] {
            for n in new {
                let name = String::from_utf8(n.name.clone().unwrap()).unwrap();
                assert!(
                    into.insert(n.iid.unwrap(), name).is_none(),
                    "a name interned twice"
                );
            }
        }
        for f in &d.function_names {
            functions.insert(
                f.iid.unwrap(),
                String::from_utf8(f.str.clone().unwrap()).unwrap(),
            );
        }
        for f in &d.frames {
            let func = &functions[&f.function_name_id.unwrap()];
            let n = match f.line_number {
                Some(l) => format!("{func}:{l}"),
                None => func.clone(),
            };
            assert!(
                frames.insert(f.iid.unwrap(), n).is_none(),
                "a frame interned twice"
            );
        }
        for c in &d.callstacks {
            let chain: Vec<String> = c.frame_ids.iter().map(|f| frames[f].clone()).collect();
            assert!(
                stacks.insert(c.iid.unwrap(), chain).is_none(),
                "a stack interned twice"
            );
        }
    }
}

/// A decoded Perfetto trace in the same terms.
fn from_perfetto(bytes: &[u8]) -> Drawn {
    let trace = pf::Trace::decode(bytes).unwrap();
    assert!(!trace.packet.is_empty());
    let first = &trace.packet[0];
    assert_eq!(first.first_packet_on_sequence, Some(true));
    assert_eq!(
        first.sequence_flags.unwrap_or(0) & pf::SEQ_INCREMENTAL_STATE_CLEARED,
        pf::SEQ_INCREMENTAL_STATE_CLEARED
    );
    // The tracks, as last described; every event's track is described before the event.
    // A track described twice (at its first use, and at the end with Go's name) keeps its
    // parent, kind and, where Go gives one, its rank: Perfetto may keep the first.
    let mut tracks: HashMap<u64, pf::TrackDescriptor> = HashMap::new();
    for p in &trace.packet {
        assert_eq!(p.trusted_packet_sequence_id, Some(pf::SEQUENCE_ID));
        if let Some(d) = &p.track_descriptor {
            if let Some(first) = tracks.insert(d.uuid.unwrap(), (**d).clone()) {
                assert_eq!(first.parent_uuid, d.parent_uuid);
                assert_eq!(first.counter, d.counter);
                assert_eq!(first.child_ordering, d.child_ordering);
                if d.sibling_order_rank.is_some() {
                    assert_eq!(first.sibling_order_rank, d.sibling_order_rank, "{d:?}");
                }
            }
        }
    }
    let name = |uuid: u64| String::from_utf8(tracks[&uuid].name.clone().unwrap()).unwrap();
    let parent = |uuid: u64| tracks[&uuid].parent_uuid;
    let mut seen = Interned::default();
    let mut described = std::collections::HashSet::new();
    let mut records = Vec::new();
    // Each track's slices: Perfetto nests them, so they must nest.
    let mut slices: HashMap<u64, Vec<(i64, i64)>> = HashMap::new();
    let mut packets = trace.packet.iter().peekable();
    while let Some(p) = packets.next() {
        intern(p, &mut seen);
        if let Some(d) = &p.track_descriptor {
            described.insert(d.uuid.unwrap());
        }
        let Some(te) = &p.track_event else { continue };
        let flags = p.sequence_flags.unwrap_or(0);
        assert_ne!(flags & pf::SEQ_NEEDS_INCREMENTAL_STATE, 0);
        let track = te.track_uuid.unwrap();
        assert!(
            described.contains(&track),
            "track {track} used before it is described"
        );
        let stack = |te: &pf::TrackEvent, stacks: &HashMap<u64, Vec<String>>| {
            te.callstack_iid.map_or(vec![], |i| stacks[&i].clone())
        };
        let args: BTreeMap<String, String> = te
            .debug_annotations
            .iter()
            .map(|a| {
                let v = match (a.uint_value, a.int_value, &a.string_value) {
                    (Some(u), None, None) => u.to_string(),
                    (None, Some(i), None) => i.to_string(),
                    (None, None, Some(s)) => String::from_utf8(s.clone()).unwrap(),
                    v => panic!("annotation value {v:?}"),
                };
                (String::from_utf8(a.name.clone().unwrap()).unwrap(), v)
            })
            .collect();
        // A name or category is in the event or interned, never both.
        assert!(te.name.is_none() || te.name_iid.is_none());
        assert!(te.categories.is_empty() || te.category_iids.is_empty());
        let cat = match (te.categories.first(), te.category_iids.first()) {
            (Some(c), _) => String::from_utf8(c.clone()).unwrap(),
            (None, Some(i)) => seen.categories[i].clone(),
            (None, None) => String::new(),
        };
        let ev_name = match (&te.name, te.name_iid) {
            (Some(n), _) => String::from_utf8(n.clone()).unwrap(),
            (None, Some(i)) => seen.names[&i].clone(),
            (None, None) => String::new(),
        };
        let ts = p.timestamp.unwrap() as i64;
        let ty = te.r#type.unwrap();
        if ty == pf::TYPE_COUNTER {
            let stats = parent(track).unwrap();
            records.push((
                "C",
                name(stats),
                name(track),
                String::new(),
                vec![ts, te.counter_value.unwrap()],
                vec![],
                args,
                cat,
            ));
            continue;
        }
        // A lane, or a child of a lane: the lane's section and name.
        let mut lane = track;
        let mut child = None;
        if parent(parent(lane).unwrap()).is_some() {
            child = Some(name(lane));
            lane = parent(lane).unwrap();
        }
        let (s, l) = (name(parent(lane).unwrap()), name(lane));
        let regions = child.as_deref() == Some("regions");
        match ty {
            pf::TYPE_SLICE_BEGIN if !regions => {
                // A slice: its end is the next packet.
                let end = packets.next().and_then(|p| {
                    intern(p, &mut seen);
                    Some((p.timestamp?, p.track_event.as_ref()?))
                });
                let (end_ts, end) = end.expect("a slice's end follows its beginning");
                assert_eq!(end.r#type, Some(pf::TYPE_SLICE_END));
                assert_eq!(end.track_uuid, Some(track));
                let dur = end_ts as i64 - ts;
                slices.entry(track).or_default().push((ts, ts + dur));
                records.push((
                    "X",
                    s,
                    l,
                    ev_name,
                    vec![ts, dur],
                    vec![stack(te, &seen.stacks), stack(end, &seen.stacks)],
                    args,
                    cat,
                ));
            }
            pf::TYPE_SLICE_BEGIN | pf::TYPE_SLICE_END => {
                assert!(regions, "an unpaired slice end outside regions");
                let kind = if ty == pf::TYPE_SLICE_BEGIN { "b" } else { "e" };
                records.push((
                    kind,
                    s,
                    l,
                    ev_name,
                    vec![ts],
                    vec![stack(te, &seen.stacks)],
                    args,
                    cat,
                ));
            }
            pf::TYPE_INSTANT => {
                match (te.flow_ids.as_slice(), te.terminating_flow_ids.as_slice()) {
                    ([], []) => records.push((
                        "I",
                        s,
                        l,
                        ev_name,
                        vec![ts],
                        vec![stack(te, &seen.stacks)],
                        args,
                        cat,
                    )),
                    ([id], []) => records.push((
                        "s",
                        s,
                        l,
                        ev_name,
                        vec![ts, *id as i64],
                        vec![stack(te, &seen.stacks)],
                        args,
                        cat,
                    )),
                    ([], [id]) => records.push((
                        "t",
                        s,
                        l,
                        ev_name,
                        vec![ts, *id as i64],
                        vec![stack(te, &seen.stacks)],
                        args,
                        cat,
                    )),
                    f => panic!("flows {f:?}"),
                }
            }
            t => panic!("type {t}"),
        }
    }
    for (track, mut spans) in slices {
        spans.sort_by_key(|&(begin, end)| (begin, std::cmp::Reverse(end)));
        let mut open: Vec<(i64, i64)> = Vec::new();
        for (begin, end) in spans {
            while open.last().is_some_and(|&(_, e)| e <= begin) {
                open.pop();
            }
            if let Some(&outer) = open.last() {
                assert!(
                    end <= outer.1,
                    "track {track} ({}): slice {begin}..{end} crosses {outer:?} without nesting",
                    name(track)
                );
            }
            open.push((begin, end));
        }
    }
    records.sort();
    // Sections are the top-level tracks, lanes their children (not the counters).
    let mut lanes: Vec<_> = tracks
        .values()
        .filter_map(|d| {
            let n = String::from_utf8(d.name.clone()?).ok()?;
            match d.parent_uuid {
                None => Some((String::new(), n, d.sibling_order_rank.map(i64::from))),
                Some(p) if tracks[&p].parent_uuid.is_none() && d.counter.is_none() => {
                    Some((name(p), n, d.sibling_order_rank.map(i64::from)))
                }
                _ => None,
            }
        })
        .collect();
    lanes.sort();
    Drawn { records, lanes }
}

fn check(what: &str, min: usize, opts: impl Fn(&[u8]) -> Option<Options>) {
    let (mut n, mut events) = (0, 0);
    let mut failed = Vec::new();
    for t in traces() {
        let bytes = std::fs::read(&t).unwrap();
        let Some(mut opts) = opts(&bytes) else {
            continue;
        };
        let json = trace_viewer::write_json(&bytes, opts.clone(), Vec::new()).unwrap();
        opts.format = Format::Perfetto;
        let proto = trace_viewer::write_json(&bytes, opts, Vec::new()).unwrap();
        let (want, got) = (from_json(&json), from_perfetto(&proto));
        n += 1;
        events += want.records.len();
        if want.lanes != got.lanes {
            failed.push(format!(
                "{}: lanes {:?} vs {:?}",
                t.display(),
                got.lanes,
                want.lanes
            ));
        }
        if want.records != got.records {
            let at = got
                .records
                .iter()
                .zip(&want.records)
                .position(|(a, b)| a != b);
            failed.push(format!(
                "{}: {} records vs {} in the JSON; first difference {:?} vs {:?}",
                t.display(),
                got.records.len(),
                want.records.len(),
                at.and_then(|i| got.records.get(i)),
                at.and_then(|i| want.records.get(i)),
            ));
        }
    }
    eprintln!("{what}: {n} traces, {events} records");
    assert!(n >= min, "only {n} traces for {what}");
    let shown: Vec<String> = failed
        .iter()
        .take(5)
        .map(|f| f.chars().take(600).collect())
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {n} differ:\n{}",
        failed.len(),
        shown.join("\n")
    );
}

#[test]
fn proc_view_carries_the_json() {
    check("proc", 80, |_| Some(Options::view(View::Proc)));
}

#[test]
fn thread_view_carries_the_json() {
    check("thread", 80, |_| Some(Options::view(View::Thread)));
}

#[test]
fn goroutine_view_carries_the_json() {
    check("goid 1", 80, |bytes| {
        let mut opts = Options::default();
        opts.focus = Some(trace_viewer::Focus::goroutine(bytes, 1).ok()??);
        Some(opts)
    });
}

#[test]
fn task_views_carry_the_json() {
    check("focustask 1", 8, |bytes| {
        let mut opts = Options::default();
        opts.task = Some(trace_viewer::TaskFocus::task(bytes, 1).ok()??);
        Some(opts)
    });
    check("taskid 1", 8, |bytes| {
        let mut opts = Options::default();
        opts.task = Some(trace_viewer::TaskFocus::task_goroutines(bytes, 1).ok()??);
        Some(opts)
    });
}

#[test]
fn index_windows_carry_the_json() {
    check("start 100 end 600", 80, |_| {
        let mut opts = Options::default();
        opts.index_window = Some((100, 600));
        Some(opts)
    });
}

#[test]
fn packets_are_a_stream() {
    // Each packet is field 1 of a Trace: concatenated traces are a trace.
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/traces/go1.27.3/chan.trace"),
    )
    .unwrap();
    let mut opts = Options::default();
    opts.format = Format::Perfetto;
    let one = trace_viewer::write_json(&bytes, opts.clone(), Vec::new()).unwrap();
    let mut two = one.clone();
    two.extend_from_slice(&one);
    let (a, b) = (
        pf::Trace::decode(&one[..]).unwrap(),
        pf::Trace::decode(&two[..]).unwrap(),
    );
    assert_eq!(b.packet.len(), 2 * a.packet.len());
    let _: &TracePacket = &a.packet[0];
}
