//! JSON lines in the format of our Go-made goldens (`scripts/go/userpages_test.go`, which
//! describes the fields): Go's `encoding/json` spelling, so the output can be compared byte for
//! byte. `trace-regions --json` and `trace-tasks --json` print these.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{DurationStats, Histogram, RegionGroup, TaskType};
use crate::summary::json::write_str;
use crate::summary::Durations;

/// Appends `f` as Go's `encoding/json` writes a float64: the shortest decimal that reads back
/// as `f`, in exponent form below 1e-6 and from 1e21 (`1e-7`, `1e+21`).
///
/// ```
/// let mut s = String::new();
/// trace_model::regions::json::write_float(&mut s, 0.269633);
/// s.push(' ');
/// trace_model::regions::json::write_float(&mut s, 1e-7);
/// assert_eq!(s, "0.269633 1e-7");
/// ```
pub fn write_float(out: &mut String, f: f64) {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Go writes at least two exponent digits and then drops the zero of "e-0N"; a
        // positive exponent keeps its sign.
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => {
                let _ = write!(out, "{m}e+{e}");
            }
            _ => out.push_str(&s),
        }
    } else {
        let _ = write!(out, "{f}");
    }
}

/// `d` ns in seconds as Go's `Duration.Seconds` computes it: whole seconds plus the
/// nanoseconds left over over 1e9.
pub fn seconds(d: i64) -> f64 {
    let sec = d / 1_000_000_000;
    let nsec = d % 1_000_000_000;
    sec as f64 + nsec as f64 / 1e9
}

/// The task page's Elapsed column: seconds with nine decimals and, below a second, everything
/// before the point and the zeros after it up to the first other digit blanked.
///
/// ```
/// assert_eq!(trace_model::regions::json::elapsed_text(111_168), " .   111168");
/// assert_eq!(trace_model::regions::json::elapsed_text(1_500_000_000), "1.500000000");
/// ```
pub fn elapsed_text(d: i64) -> String {
    let mut b: Vec<u8> = format!("{:.9}", seconds(d)).into_bytes();
    if d < 1_000_000_000 {
        if let Some(dot) = b.iter().position(|&c| c == b'.') {
            for c in b.iter_mut().take(dot) {
                *c = b' ';
            }
            for c in b.iter_mut().skip(dot + 1) {
                if *c != b'0' {
                    break;
                }
                *c = b' ';
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn map(out: &mut String, m: impl IntoIterator<Item = (impl AsRef<[u8]>, i64)>) {
    out.push('{');
    for (i, (k, v)) in m.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(out, k.as_ref());
        let _ = write!(out, ":{v}");
    }
    out.push('}');
}

fn durations(out: &mut String, d: &Durations) {
    map(out, d.iter())
}

fn breakdown(out: &mut String, m: &BTreeMap<Vec<u8>, i64>) {
    map(out, m.iter().map(|(k, v)| (k, *v)))
}

fn stats(out: &mut String, s: &DurationStats) {
    let _ = write!(
        out,
        "\"total\":{},\"mean\":{},\"min\":{},\"max\":{},\"p50\":{},\"p90\":{},\"p99\":{}",
        s.total, s.mean, s.min, s.max, s.p50, s.p90, s.p99
    );
}

fn histogram(out: &mut String, h: &Histogram) {
    let _ = write!(
        out,
        "{{\"count\":{},\"min_bucket\":{},\"max_bucket\":{},\"buckets\":[",
        h.count(),
        h.min_bucket(),
        h.max_bucket()
    );
    let rows: Vec<(i64, i64, u64)> = h.rows().collect();
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}", r.2);
    }
    out.push_str("],\"lower\":[");
    for (i, r) in rows.iter().enumerate() {
        let _ = write!(out, "{}{}", if i > 0 { "," } else { "" }, r.0);
    }
    if let Some(last) = rows.last() {
        let _ = write!(out, ",{}", last.1);
    }
    out.push_str("]}");
}

fn opt(out: &mut String, v: Option<i64>) {
    match v {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("null"),
    }
}

/// Appends one region group as a line: `{"type","frame":{"func","file","line","pc"},"count",
/// "total","mean","min","max","p50","p90","p99","histogram","breakdown","range_time",
/// "regions":[{"goroutine","task","start","end","duration","total","breakdown",
/// "range_time"}]}`.
///
/// ```
/// # fn main() -> Result<(), trace_model::Error> {
/// let bytes = std::fs::read("../../testdata/traces/go1.27.3/annotations.trace").unwrap();
/// let summary = trace_model::Summary::of(trace_model::Reader::new(&bytes)?)?;
/// let mut line = String::new();
/// for g in trace_model::regions::region_groups(&summary) {
///     trace_model::regions::json::write_region_group(&mut line, &g);
/// }
/// let want = std::fs::read_to_string("../../testdata/traces/go1.27.3/annotations.regions.golden").unwrap();
/// assert_eq!(line, want);
/// # Ok(()) }
/// ```
pub fn write_region_group(out: &mut String, g: &RegionGroup<'_>) {
    out.push_str("{\"type\":");
    write_str(out, g.ty);
    out.push_str(",\"frame\":{\"func\":");
    write_str(out, &g.frame.func);
    out.push_str(",\"file\":");
    write_str(out, &g.frame.file);
    let _ = write!(
        out,
        ",\"line\":{},\"pc\":{}}},\"count\":{},",
        g.frame.line,
        g.frame.pc,
        g.histogram.count()
    );
    stats(out, &g.stats);
    out.push_str(",\"histogram\":");
    histogram(out, &g.histogram);
    out.push_str(",\"breakdown\":");
    breakdown(out, &g.breakdown);
    out.push_str(",\"range_time\":");
    breakdown(out, &g.range_time);
    out.push_str(",\"regions\":[");
    for (i, (r, d)) in g.regions.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"goroutine\":{},\"task\":{},\"start\":",
            r.goroutine, r.task
        );
        opt(out, r.start.as_ref().map(|e| e.time));
        out.push_str(",\"end\":");
        opt(out, r.end.as_ref().map(|e| e.time));
        let _ = write!(
            out,
            ",\"duration\":{d},\"total\":{},\"breakdown\":",
            r.stats.total
        );
        breakdown(out, &r.stats.non_overlapping());
        out.push_str(",\"range_time\":");
        durations(out, &r.stats.range_time);
        out.push('}');
    }
    out.push_str("]}\n");
}

/// Appends one task type as a line: `{"type","count","complete","incomplete","total","mean",
/// "min","max","p50","p90","p99","histogram","tasks":[{"id","when","duration","complete",
/// "start","end","start_ms","end_ms","events":[{"when","elapsed","elapsed_text",
/// "goroutine","what"}]}]}`.
pub fn write_task_type(out: &mut String, t: &TaskType<'_>) {
    out.push_str("{\"type\":");
    write_str(out, t.ty);
    let _ = write!(
        out,
        ",\"count\":{},\"complete\":{},\"incomplete\":{},",
        t.count, t.complete, t.incomplete
    );
    stats(out, &t.stats);
    out.push_str(",\"histogram\":");
    histogram(out, &t.histogram);
    out.push_str(",\"tasks\":[");
    for (i, p) in t.tasks.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let end = p.start.wrapping_add(p.duration);
        let _ = write!(
            out,
            "{{\"id\":{},\"when\":\"{:2.9}s\",\"duration\":{},\"complete\":{},\"start\":{},\"end\":{},\"start_ms\":",
            p.task.id,
            seconds(p.start),
            p.duration,
            p.task.complete(),
            p.start,
            end
        );
        write_float(out, p.start as f64 / 1e6);
        out.push_str(",\"end_ms\":");
        write_float(out, end as f64 / 1e6);
        out.push_str(",\"events\":[");
        for (j, e) in p.events.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"when\":\"{:2.9}\",\"elapsed\":{},\"elapsed_text\":\"{}\",\"goroutine\":{},\"what\":",
                seconds(e.since_start),
                e.elapsed,
                elapsed_text(e.elapsed),
                e.goroutine
            );
            write_str(out, &e.what);
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push_str("]}\n");
}
