//! Writes a blocking profile of a Go trace, as `go tool trace -pprof=TYPE TRACE` does.
//!
//! Usage: `trace2pprof -pprof=TYPE [-o FILE] [--goroutine NAME] [--region NAME] [--from T]
//! [--to T] [--salvage] TRACE`, TYPE one of net, sync, syscall, sched. The gzipped profile goes to stdout
//! unless `-o` names a file. `--goroutine` keeps the goroutines whose start function is NAME;
//! `--region` keeps time inside the outermost user regions of type NAME; `--from` and `--to`
//! keep a time window, in trace nanoseconds, or as an offset from the trace's first event with
//! a `+` prefix and a unit (`+1.5s`, `+200ms`, `+30us`, `+100ns`).
//!
//! A broken trace (cut short, say) is profiled as `go tool trace -pprof` profiles it: the
//! time of its complete generations, those before the one where reading fails, with the
//! goroutines its summary finds in every event read; what was left out is said on stderr, and
//! the exit status is 0. Like Go, it fails when that leaves no goroutine.
//!
//! With `--salvage`, a broken trace is read as far as it can be trusted
//! (`gotrace::model::Reader::salvage`): every complete generation, then what of the broken one
//! can be ordered. What was dropped goes to stderr, and the exit status is 0.

#[path = "common/mod.rs"]
mod common;

use gotrace::pprof::{build, write_gzip, Filter, ProfileKind, Profiler};
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: trace2pprof -pprof=net|sync|syscall|sched [-o FILE] \
[--goroutine NAME] [--region NAME] [--from T] [--to T] [--salvage] TRACE";

struct Args {
    kind: ProfileKind,
    out: Option<String>,
    trace: String,
    filter: Filter,
    from: Option<String>,
    to: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut kind = None;
    let mut out = None;
    let mut trace = None;
    let mut filter = Filter::default();
    let (mut from, mut to) = (None, None);
    let mut it = common::args().into_iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with('-') => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.trim_start_matches('-') {
            "pprof" => {
                let v = value("-pprof")?;
                kind = Some(
                    ProfileKind::from_name(&v).ok_or_else(|| format!("unknown pprof type {v}"))?,
                );
            }
            "o" => out = Some(value("-o")?),
            "goroutine" => filter.goroutine = Some(value("--goroutine")?),
            "region" => filter.region = Some(value("--region")?),
            "from" => from = Some(value("--from")?),
            "to" => to = Some(value("--to")?),
            "h" | "help" => return Err(USAGE.to_string()),
            _ if a.starts_with('-') && a.len() > 1 => return Err(format!("unknown flag {a}")),
            _ if trace.is_none() => trace = Some(a),
            _ => return Err(format!("unexpected argument {a}")),
        }
    }
    Ok(Args {
        kind: kind.ok_or("-pprof=TYPE is required")?,
        out,
        trace: trace.ok_or("no trace file given")?,
        filter,
        from,
        to,
    })
}

/// A time: trace nanoseconds, or `+DURATION` after `start`.
fn parse_time(s: &str, start: i64) -> Result<i64, String> {
    let bad = || format!("bad time {s:?}: want nanoseconds or +DURATION (+1.5s, +200ms)");
    let Some(d) = s.strip_prefix('+') else {
        return s.parse().map_err(|_| bad());
    };
    let split = d.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(bad)?;
    let (num, unit) = d.split_at(split);
    let scale = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return Err(bad()),
    };
    let v: f64 = num.parse().map_err(|_| bad())?;
    if !v.is_finite() || v < 0.0 {
        return Err(bad());
    }
    Ok(start.saturating_add((v * scale) as i64))
}

/// The time of the trace's first event, for offsets.
fn first_time(path: &str) -> Result<i64, Box<dyn std::error::Error>> {
    let file = std::fs::File::open(path)?;
    let mut r = common::reader(file)?;
    Ok(r.next_event()?.map_or(0, |e| e.time()))
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut filter = args.filter;
    if args.from.is_some() || args.to.is_some() {
        let start = if [&args.from, &args.to]
            .iter()
            .any(|t| t.as_deref().is_some_and(|t| t.starts_with('+')))
        {
            first_time(&args.trace)?
        } else {
            0
        };
        filter.from = args
            .from
            .as_deref()
            .map(|t| parse_time(t, start))
            .transpose()?;
        filter.to = args
            .to
            .as_deref()
            .map(|t| parse_time(t, start))
            .transpose()?;
    }
    // Order on this thread and count on another when there is a core to spare.
    let (profiler, broken) = common::feed_trace(
        "trace2pprof",
        args.trace.as_ref(),
        true,
        common::Keep::CompleteThen(Profiler::stop_counting),
        || Profiler::new(args.kind, filter.clone()),
    )?;
    if let Some(b) = &broken {
        if b.complete == 0 {
            return Err(
                format!("failed to parse any useful part of the trace: {}", b.error).into(),
            );
        }
        b.warn("trace2pprof", "profiled", false);
    }
    let records = profiler.finish()?;
    let profile = build(&records);
    match &args.out {
        Some(path) => {
            let mut f = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
            write_gzip(&profile, &mut f)?;
            f.flush()?;
        }
        None => write_gzip(&profile, common::Stdout::lock())?,
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("trace2pprof: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace2pprof: {e}");
            ExitCode::FAILURE
        }
    }
}
