//! What changed between two builds, from their traces: region types, goroutine groups, task
//! types and the GC of side A (the base) against side B, with benchstat's statistics over
//! repeated runs (`trace_model::diff`).
//!
//! Usage: `trace-diff [--by region|goroutine|task|gc|all] [--json] [--alpha A] [--salvage] [--per-op NAME]
//! [--stat total|mean|p50|p90|p99] A... -- B...`, or `trace-diff [options] A B` for one trace a
//! side.
//!
//! - For each region type: the total time in its regions per run, each side's median over
//!   its runs with a confidence interval (±, of the median), the change (B - A, and in %),
//!   and the Mann-Whitney U test's p-value; then the regions' count per run, mean and
//!   percentiles, pooled over each side's runs. For each goroutine group (start function):
//!   execution, scheduler wait, syscall and block time by reason. For each task type: the
//!   total time of complete tasks. GC: cycles, stop-the-world total and longest pause,
//!   assist time.
//! - A change is shown as `~` when it isn't significant at `--alpha` (default 0.05): with
//!   five runs a side the test can reach p = 0.008; with three it can't go below 0.1. With one
//!   trace a side, region and task types are tested on their individual durations, and
//!   goroutines and GC can't be tested (`?`).
//! - Each section is sorted by the size of the change (B's median less A's, either way),
//!   largest first.
//! - `--per-op NAME`: every value divided by the run's number of tasks named NAME (or regions,
//!   if there is no such task type): time per operation, for runs that did different amounts
//!   of work.
//! - `--stat`: compare another figure of each run's regions and tasks of a type than their
//!   total: their mean, median (`p50`: latency, and the figure a busy machine moves least),
//!   90th or 99th percentile duration.
//! - `--by`: the sections to show (comma-separated, default all).
//! - `--json`: one JSON object instead (schema: `trace_model::diff::Diff::write_json`), each
//!   entry with `a`, `b`, `delta_ns`, `ratio`, `test` and `significant`.
//!
//! A trace that can't be read is named with the error (exit 1); sides without a region type in
//! common are said to be (on stderr; exit 1 if only regions were asked for); bad arguments
//! exit 2.
//!
//! With `--salvage`, a broken trace is read as far as it can be trusted
//! (`gotrace::model::Reader::salvage`): every complete generation, then what of the broken one
//! can be ordered. What was dropped goes to stderr, and the exit status is 0.

#[path = "common/mod.rs"]
mod common;

use gotrace::format::text::quote::quote;
use gotrace::model::diff::{compare, Diff, Entry, Options, Profile, Side, Stat, TestOn, Unit};
use gotrace::model::summary::GoDuration;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

const USAGE: &str =
    "usage: trace-diff [--by region|goroutine|task|gc|all] [--json] [--alpha A] [--salvage] \
                     [--per-op NAME] [--stat total|mean|p50|p90|p99] A... -- B...  \
                     (or: trace-diff [options] A B)";

#[derive(Default)]
struct Sections {
    regions: bool,
    goroutines: bool,
    tasks: bool,
    gc: bool,
}

struct Args {
    a: Vec<std::ffi::OsString>,
    b: Vec<std::ffi::OsString>,
    by: Sections,
    json: bool,
    options: Options,
}

fn parse_by(v: &str) -> Result<Sections, String> {
    let mut s = Sections::default();
    for part in v.split(',') {
        match part {
            "region" | "regions" => s.regions = true,
            "goroutine" | "goroutines" => s.goroutines = true,
            "task" | "tasks" => s.tasks = true,
            "gc" => s.gc = true,
            "all" => {
                s = Sections {
                    regions: true,
                    goroutines: true,
                    tasks: true,
                    gc: true,
                }
            }
            _ => {
                return Err(format!(
                    "--by {part:?}: want region, goroutine, task, gc or all"
                ))
            }
        }
    }
    Ok(s)
}

fn parse_args() -> Result<Args, String> {
    let mut args = common::args_os().into_iter();
    let mut by = None;
    let (mut json, mut options) = (false, Options::default());
    let (mut before, mut after, mut split) = (Vec::new(), Vec::new(), false);
    while let Some(a) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .and_then(|v| v.into_string().ok())
                .ok_or(format!("{flag} needs a value"))
        };
        match a.to_str() {
            Some("--") if !split => split = true,
            Some("--json") if !split => json = true,
            Some("--by") if !split => by = Some(parse_by(&value("--by")?)?),
            Some("--alpha") if !split => {
                let v = value("--alpha")?;
                options.alpha = v
                    .parse::<f64>()
                    .ok()
                    .filter(|a| *a > 0.0 && *a < 1.0)
                    .ok_or(format!("--alpha {v:?}: want a number between 0 and 1"))?;
            }
            Some("--per-op") if !split => options.per_op = Some(value("--per-op")?.into_bytes()),
            Some("--stat") if !split => {
                let v = value("--stat")?;
                options.stat = Stat::from_name(&v)
                    .ok_or(format!("--stat {v:?}: want total, mean, p50, p90 or p99"))?;
            }
            Some(s) if s.starts_with('-') && s.len() > 1 && s != "--" => {
                return Err(format!("unknown flag {s}"))
            }
            _ if split => after.push(a),
            _ => before.push(a),
        }
    }
    let (a, b) = if split {
        (before, after)
    } else if before.len() == 2 {
        let b = before.split_off(1);
        (before, b)
    } else {
        return Err("give two traces, or A... -- B...".into());
    };
    if a.is_empty() || b.is_empty() {
        return Err("each side needs at least one trace".into());
    }
    Ok(Args {
        a,
        b,
        by: by.unwrap_or(Sections {
            regions: true,
            goroutines: true,
            tasks: true,
            gc: true,
        }),
        json,
        options,
    })
}

fn read(path: &std::ffi::OsStr) -> Result<Profile, String> {
    let name = std::path::Path::new(path).display().to_string();
    let file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
    let mut r = common::reader(file).map_err(|e| format!("{name}: {e}"))?;
    let p = Profile::read_from(name.clone(), &mut r).map_err(|e| format!("{name}: {e}"))?;
    common::report_salvage("trace-diff", path, &r);
    Ok(p)
}

/// A value in the entry's unit: a duration, or a count.
fn value(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Nanoseconds => GoDuration(v.round() as i64).to_string(),
        Unit::Count if v.fract() == 0.0 => format!("{v}"),
        Unit::Count => format!("{v:.2}"),
    }
}

/// A side as benchstat shows it: the median ± the interval's larger half, in %.
fn side(s: &Option<Side>, unit: Unit) -> String {
    let Some(s) = s else {
        return "-".into();
    };
    let half = (s.ci.1 - s.median).max(s.median - s.ci.0);
    if s.median == 0.0 || s.runs.len() < 2 {
        return value(s.median, unit);
    }
    format!(
        "{} ±{:.0}%",
        value(s.median, unit),
        100.0 * half / s.median.abs()
    )
}

fn delta(e: &Entry) -> String {
    let Some(d) = e.delta else {
        return if e.a.is_none() {
            "(new)".into()
        } else {
            "(gone)".into()
        };
    };
    match e.significant {
        Some(false) => "~".into(),
        sig => {
            let sign = if d > 0.0 { "+" } else { "" };
            let mut s = format!("{sign}{}", value(d, e.unit));
            if let Some(r) = e.ratio {
                s.push_str(&format!(" ({sign}{:.1}%)", (r - 1.0) * 100.0));
            }
            if sig.is_none() {
                s.push_str(" ?");
            }
            s
        }
    }
}

fn p_value(e: &Entry) -> String {
    match &e.test {
        Some(t) => {
            let on = match t.on {
                TestOn::Runs => "",
                TestOn::Durations => " (durations)",
            };
            let p = if t.result.p < 0.0005 {
                "p<0.001".to_string()
            } else {
                format!("p={:.3}", t.result.p)
            };
            format!("{p} n={}+{}{on}", t.n.0, t.n.1)
        }
        None => "-".into(),
    }
}

fn name(n: &[u8]) -> String {
    String::from_utf8_lossy(n).into_owned()
}

fn section(
    out: &mut dyn Write,
    title: &str,
    entries: &[Entry],
    named: &dyn Fn(&Entry) -> Vec<String>,
    heads: &[&str],
) -> std::io::Result<()> {
    writeln!(out, "{title}")?;
    if entries.is_empty() {
        return writeln!(out, "  (none)\n");
    }
    let mut h: Vec<String> = heads.iter().map(|s| s.to_string()).collect();
    h.extend(["A", "B", "delta", "p"].map(String::from));
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let mut row = named(e);
            row.extend([side(&e.a, e.unit), side(&e.b, e.unit), delta(e), p_value(e)]);
            row
        })
        .collect();
    common::write_table(out, &h, &rows, heads.len())?;
    writeln!(out)
}

fn distributions(
    out: &mut dyn Write,
    title: &str,
    entries: &[Entry],
    by_op: bool,
) -> std::io::Result<()> {
    let per = if by_op { "count/op" } else { "count/run" };
    let heads: Vec<String> = ["name", "side", per, "mean", "p50", "p90", "p99", "max"]
        .map(String::from)
        .into();
    let mut rows = Vec::new();
    for e in entries {
        for (label, s) in [("A", &e.a), ("B", &e.b)] {
            let (Some(s), Some(d)) = (s, s.as_ref().and_then(|s| s.durations.as_ref())) else {
                continue;
            };
            let g = |v: i64| GoDuration(v).to_string();
            rows.push(vec![
                quote(&e.name),
                label.to_string(),
                s.count.map_or("-".into(), |c| value(c, Unit::Count)),
                g(d.mean),
                g(d.p50),
                g(d.p90),
                g(d.p99),
                g(d.max),
            ]);
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "{title}")?;
    common::write_table(out, &heads, &rows, 2)?;
    writeln!(out)
}

/// What a region or task row compares.
fn stat_title(args: &Args, per: &str) -> String {
    match args.options.stat {
        Stat::Total => format!("total time {per}"),
        s => format!("{} duration of each run", s.name()),
    }
}

fn print(out: &mut dyn Write, args: &Args, diff: &Diff) -> std::io::Result<()> {
    let per = match &args.options.per_op {
        Some(n) => format!("per {}", name(n)),
        None => "per run".to_string(),
    };
    writeln!(
        out,
        "A: {} ({} run{}), B: {} ({} run{}); values {per}, alpha {}",
        diff.a_traces.first().map_or("", String::as_str),
        diff.a_traces.len(),
        if diff.a_traces.len() == 1 { "" } else { "s" },
        diff.b_traces.first().map_or("", String::as_str),
        diff.b_traces.len(),
        if diff.b_traces.len() == 1 { "" } else { "s" },
        args.options.alpha
    )?;
    for n in &diff.notes {
        writeln!(out, "note: {n}")?;
    }
    writeln!(out)?;
    let by_op = args.options.per_op.is_some();
    if args.by.regions {
        section(
            out,
            &format!("regions: {}", stat_title(args, &per)),
            &diff.regions,
            &|e| vec![quote(&e.name)],
            &["region"],
        )?;
        distributions(
            out,
            "region durations (pooled over runs)",
            &diff.regions,
            by_op,
        )?;
    }
    if args.by.goroutines {
        section(
            out,
            &format!("goroutines: time {per}, by start function"),
            &diff.goroutines,
            &|e| vec![name(&e.name), e.metric.clone()],
            &["goroutine", "metric"],
        )?;
    }
    if args.by.tasks {
        section(
            out,
            &format!("tasks (complete ones): {}", stat_title(args, &per)),
            &diff.tasks,
            &|e| vec![name(&e.name)],
            &["task"],
        )?;
        distributions(out, "task durations (pooled over runs)", &diff.tasks, by_op)?;
    }
    if args.by.gc {
        section(
            out,
            &format!("GC {per}"),
            &diff.gc,
            &|e| vec![e.metric.clone()],
            &["metric"],
        )?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("trace-diff: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let read_side =
        |paths: &[std::ffi::OsString]| paths.iter().map(|p| read(p)).collect::<Result<Vec<_>, _>>();
    let profiles = read_side(&args.a).and_then(|a| Ok((a, read_side(&args.b)?)));
    let (a, b) = match profiles {
        Ok(p) => p,
        Err(e) => {
            eprintln!("trace-diff: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut diff = match compare(&a, &b, &args.options) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("trace-diff: {e}");
            return ExitCode::FAILURE;
        }
    };
    let only_regions = args.by.regions && !args.by.goroutines && !args.by.tasks && !args.by.gc;
    if args.by.regions && diff.regions_in_common() == 0 {
        let why = diff
            .notes
            .iter()
            .find(|n| n.starts_with("no region"))
            .cloned()
            .unwrap_or_else(|| "no region type in common".into());
        eprintln!("trace-diff: {why}");
        if only_regions {
            return ExitCode::FAILURE;
        }
    }
    if !args.by.regions {
        diff.regions.clear();
    }
    if !args.by.goroutines {
        diff.goroutines.clear();
    }
    if !args.by.tasks {
        diff.tasks.clear();
    }
    if !args.by.gc {
        diff.gc.clear();
    }
    let mut out = BufWriter::new(common::Stdout::lock());
    let written = if args.json {
        let mut s = String::new();
        diff.write_json(&mut s);
        out.write_all(s.as_bytes())
    } else {
        print(&mut out, &args, &diff)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace-diff: writing: {e}");
            ExitCode::FAILURE
        }
    }
}
