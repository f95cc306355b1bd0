//! User regions as `go tool trace` shows them on its `/userregions` and `/userregion` pages,
//! computed as Go 1.27 computes them (`trace_model::regions`).
//!
//! Usage: `trace-regions [--json] [--type TYPE] [--salvage] TRACE`
//!
//! - Without options: two tables of the region groups (regions of one type that began at one
//!   place: the outermost frame of the stack where they began), sorted by type and place. The
//!   first gives how many there are and their durations: total, mean, min, median, 90th and
//!   99th percentile, max; the second where their goroutines spent that time (Go's
//!   non-overlapping breakdown: execution, scheduler wait, blocked by reason, syscalls, unknown).
//!   A region the trace holds one end of lasts to the trace's start or end, as in Go.
//! - `--type TYPE`: the regions of that type, one row each (the `/userregion?type=` page):
//!   goroutine, task, total and the breakdown, longest first; then the duration histogram Go
//!   draws (five buckets a decade).
//! - `--json`: one JSON object per group instead (of the type with `--type`), as
//!   `trace_model::regions::json::write_region_group` writes it; the committed goldens beside
//!   the testdata traces are Go's own answer in this form.
//!
//! One streaming pass. A trace that can't be read is named with the error (exit 1); bad
//! arguments exit 2.
//!
//! With `--salvage`, a broken trace is read as far as it can be trusted
//! (`gotrace::model::Reader::salvage`): every complete generation, then what of the broken one
//! can be ordered. What was dropped goes to stderr, and the exit status is 0.

#[path = "common/mod.rs"]
mod common;

use gotrace::format::text::quote::quote;
use gotrace::model::regions::{json, region_groups, RegionGroup};
use gotrace::model::summary::GoDuration;
use std::collections::BTreeSet;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

const USAGE: &str = "usage: trace-regions [--json] [--type TYPE] [--salvage] TRACE";

struct Args {
    path: std::ffi::OsString,
    ty: Option<String>,
    json: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = common::args_os().into_iter();
    let (mut path, mut ty, mut json) = (None, None, false);
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("--json") => json = true,
            Some("--type") => {
                let v = args.next().and_then(|v| v.into_string().ok());
                ty = Some(v.ok_or("--type needs a value")?);
            }
            Some(s) if s.starts_with('-') && s.len() > 1 => {
                return Err(format!("unknown flag {s}"))
            }
            _ if path.is_none() => path = Some(a),
            _ => return Err("more than one trace given".into()),
        }
    }
    Ok(Args {
        path: path.ok_or("no trace given")?,
        ty,
        json,
    })
}

fn d(ns: i64) -> String {
    GoDuration(ns).to_string()
}

/// Where a group's regions began: `func (file:line)`, or `-` without a stack.
fn place(g: &RegionGroup<'_>) -> String {
    if g.frame.pc == 0 && g.frame.func.is_empty() {
        return "-".into();
    }
    let file = String::from_utf8_lossy(&g.frame.file);
    let file = file.rsplit('/').next().unwrap_or_default();
    format!(
        "{} ({file}:{})",
        String::from_utf8_lossy(&g.frame.func),
        g.frame.line
    )
}

/// Go's non-overlapping stat names as columns: "Execution time" first, then sorted, those
/// that are zero everywhere left out.
fn stat_columns<'a>(
    maps: impl Iterator<Item = &'a std::collections::BTreeMap<Vec<u8>, i64>>,
) -> Vec<Vec<u8>> {
    let mut names = BTreeSet::new();
    for m in maps {
        names.extend(m.iter().filter(|e| *e.1 != 0).map(|e| e.0.clone()));
    }
    let mut cols: Vec<Vec<u8>> = names.into_iter().collect();
    cols.sort_by_key(|n| (n.as_slice() != b"Execution time", n.clone()));
    cols
}

fn print(out: &mut dyn Write, args: &Args, groups: &[RegionGroup<'_>]) -> std::io::Result<()> {
    if args.json {
        let mut line = String::new();
        for g in groups {
            json::write_region_group(&mut line, g);
        }
        return out.write_all(line.as_bytes());
    }
    if let Some(ty) = &args.ty {
        for g in groups {
            writeln!(
                out,
                "regions {} at {}: {} regions",
                quote(g.ty),
                place(g),
                g.stats.count
            )?;
            let cols = stat_columns(std::iter::once(&g.breakdown));
            let mut heads: Vec<String> = ["goroutine", "task", "duration", "total"]
                .map(String::from)
                .into();
            heads.extend(cols.iter().map(|c| String::from_utf8_lossy(c).into_owned()));
            let rows: Vec<Vec<String>> = g
                .regions
                .iter()
                .map(|(r, dur)| {
                    let stats = r.stats.non_overlapping();
                    let mut row = vec![
                        r.goroutine.to_string(),
                        r.task.to_string(),
                        d(*dur),
                        d(r.stats.total),
                    ];
                    row.extend(cols.iter().map(|c| d(stats.get(c).copied().unwrap_or(0))));
                    row
                })
                .collect();
            common::write_table(out, &heads, &rows, 0)?;
            writeln!(out, "histogram of durations:")?;
            let max = g.histogram.rows().map(|r| r.2).max().unwrap_or(1).max(1);
            for (lo, hi, n) in g.histogram.rows() {
                let bar = "#".repeat(usize::try_from(n.saturating_mul(40) / max).unwrap_or(40));
                writeln!(out, "  {:>10} .. {:<10} {n:>6} {bar}", d(lo), d(hi))?;
            }
            writeln!(out)?;
        }
        if groups.is_empty() {
            writeln!(out, "no regions of type {ty:?}")?;
        }
        return Ok(());
    }
    let heads: Vec<String> = [
        "type", "where", "count", "total", "mean", "min", "p50", "p90", "p99", "max",
    ]
    .map(String::from)
    .into();
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let s = &g.stats;
            vec![
                quote(g.ty),
                place(g),
                s.count.to_string(),
                d(s.total),
                d(s.mean),
                d(s.min),
                d(s.p50),
                d(s.p90),
                d(s.p99),
                d(s.max),
            ]
        })
        .collect();
    common::write_table(out, &heads, &rows, 2)?;
    writeln!(out)?;
    let cols = stat_columns(groups.iter().map(|g| &g.breakdown));
    let mut heads: Vec<String> = ["type", "where"].map(String::from).into();
    heads.extend(cols.iter().map(|c| String::from_utf8_lossy(c).into_owned()));
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let mut row = vec![quote(g.ty), place(g)];
            row.extend(
                cols.iter()
                    .map(|c| d(g.breakdown.get(c).copied().unwrap_or(0))),
            );
            row
        })
        .collect();
    common::write_table(out, &heads, &rows, 2)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("trace-regions: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let summary = match common::summarize("trace-regions", &args.path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("trace-regions: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut groups = region_groups(&summary);
    if let Some(ty) = &args.ty {
        groups.retain(|g| g.ty == ty.as_bytes());
    }
    let mut out = BufWriter::new(common::Stdout::lock());
    match print(&mut out, &args, &groups).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace-regions: writing: {e}");
            ExitCode::FAILURE
        }
    }
}
