//! The goroutine analysis of `go tool trace`: goroutines grouped by start function, with where
//! their time went, computed as Go 1.27 computes it.
//!
//! Usage: `trace-goroutines [--sort COLUMN] [--name NAME] [--json] [--salvage] TRACE`
//!
//! - Without options: one row per group (start function): how many goroutines, and the sums of
//!   their total, execution, scheduler wait, syscall, blocked-syscall, blocked and unknown time.
//!   Sorted by execution time, most first, as Go's `/goroutines` page.
//! - `--name NAME`: one row per goroutine of that group, with a column per block reason.
//! - `--sort COLUMN`: sort by that column instead (a heading as printed, e.g. `sched_wait`,
//!   `count`, `id`, `name`, or a block reason); times and counts sort largest first, names and
//!   IDs smallest first.
//! - `--json`: one JSON object per goroutine instead (of the group with `--name`): id, name,
//!   pc, creation, start, end (trace nanoseconds or null), total, exec, sched_wait, syscall,
//!   syscall_block, block (by Go's reason strings), range_time and regions, all nanoseconds.
//!
//! One streaming pass: memory holds the goroutines, not the events.
//!
//! A broken trace (cut short, say) is summarized as `go tool trace` summarizes it: every event
//! read before the error, with a warning on stderr of what was left out; the exit status is 0.
//!
//! With `--salvage`, a broken trace is read as far as it can be trusted
//! (`gotrace::model::Reader::salvage`): every complete generation, then what of the broken one
//! can be ordered. What was dropped goes to stderr, and the exit status is 0.

#[path = "common/mod.rs"]
mod common;

use gotrace::model::summary::{json, ExecStats, GoDuration};
use gotrace::model::{Summarizer, Summary};
use std::io::{BufWriter, Write};
use std::process::ExitCode;

struct Args {
    path: std::ffi::OsString,
    sort: Option<String>,
    name: Option<String>,
    json: bool,
}

const USAGE: &str =
    "usage: trace-goroutines [--sort COLUMN] [--name NAME] [--json] [--salvage] TRACE";

fn parse_args() -> Result<Args, String> {
    let mut args = common::args_os().into_iter();
    let (mut path, mut sort, mut name, mut json) = (None, None, None, false);
    while let Some(a) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .and_then(|v| v.into_string().ok())
                .ok_or(format!("{flag} needs a value"))
        };
        match a.to_str() {
            Some("--json") => json = true,
            Some("--sort") => sort = Some(value("--sort")?),
            Some("--name") => name = Some(value("--name")?),
            Some(s) if s.starts_with('-') && s.len() > 1 => {
                return Err(format!("unknown flag {s}"))
            }
            _ if path.is_none() => path = Some(a),
            _ => return Err("more than one trace given".into()),
        }
    }
    let path = path.ok_or("no trace given")?;
    Ok(Args {
        path,
        sort,
        name,
        json,
    })
}

/// A table row: its cells as numbers (for sorting) and as text.
struct Row {
    key: Vec<Cell>,
}

#[derive(Clone, PartialEq, PartialOrd)]
enum Cell {
    Text(String),
    Number(i64),
}

impl Cell {
    fn show(&self, duration: bool) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) if duration => GoDuration(*n).to_string(),
            Cell::Number(n) => n.to_string(),
        }
    }
}

fn name_of(n: &[u8]) -> String {
    if n.is_empty() {
        "(unnamed)".into()
    } else {
        String::from_utf8_lossy(n).into_owned()
    }
}

/// Prints `rows` under `heads`, sorted by `sort`; columns from `durations_from` on are times.
fn table(
    out: &mut impl Write,
    heads: &[String],
    mut rows: Vec<Row>,
    sort: &str,
    durations_from: usize,
) -> Result<(), String> {
    let col = heads
        .iter()
        .position(|h| h == sort)
        .ok_or_else(|| format!("no column {sort:?}; columns: {}", heads.join(", ")))?;
    rows.sort_by(|a, b| {
        let (x, y) = (&a.key[col], &b.key[col]);
        match (x, y) {
            (Cell::Number(x), Cell::Number(y)) if col > 0 => y.cmp(x),
            (Cell::Number(x), Cell::Number(y)) => x.cmp(y),
            _ => x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal),
        }
    });
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.key
                .iter()
                .enumerate()
                .map(|(i, c)| c.show(i >= durations_from))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..heads.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([heads[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |out: &mut dyn Write, r: &[String]| -> std::io::Result<()> {
        for (i, c) in r.iter().enumerate() {
            // Names left, numbers right.
            if i == 0 {
                write!(out, "{c:<w$}", w = widths[i])?;
            } else {
                write!(out, "  {c:>w$}", w = widths[i])?;
            }
        }
        writeln!(out)
    };
    let io = |e: std::io::Error| e.to_string();
    line(out, heads).map_err(io)?;
    for r in &cells {
        line(out, r).map_err(io)?;
    }
    Ok(())
}

const STAT_HEADS: [&str; 7] = [
    "total",
    "exec",
    "sched_wait",
    "syscall",
    "syscall_block",
    "block",
    "unknown",
];

fn stat_cells(s: &ExecStats) -> [Cell; 7] {
    [
        s.total,
        s.exec,
        s.sched_wait,
        s.syscall,
        s.syscall_block,
        s.block.total(),
        s.unknown(),
    ]
    .map(Cell::Number)
}

fn print(out: &mut impl Write, args: &Args, summary: &Summary) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    let wanted = |g: &&gotrace::model::summary::GoroutineSummary| {
        args.name.as_ref().is_none_or(|n| name_of(&g.name) == *n)
    };
    if args.json {
        let mut line = String::new();
        for g in summary.goroutines.values().filter(wanted) {
            line.clear();
            json::write_goroutine(&mut line, summary, g);
            out.write_all(line.as_bytes()).map_err(io)?;
        }
        return Ok(());
    }
    match &args.name {
        None => {
            let mut heads = vec!["name".to_string(), "count".to_string()];
            heads.extend(STAT_HEADS.map(String::from));
            let rows = summary
                .groups()
                .into_iter()
                .map(|g| {
                    let mut key = vec![
                        Cell::Text(name_of(g.name)),
                        Cell::Number(g.goroutines.len() as i64),
                    ];
                    key.extend(stat_cells(&g.stats));
                    Row { key }
                })
                .collect();
            table(out, &heads, rows, args.sort.as_deref().unwrap_or("exec"), 2)
        }
        Some(name) => {
            let gs: Vec<_> = summary.goroutines.values().filter(wanted).collect();
            if gs.is_empty() {
                return Err(format!("no goroutines named {name:?}"));
            }
            let mut reasons: Vec<&[u8]> = gs.iter().flat_map(|g| g.stats.block.keys()).collect();
            reasons.sort();
            reasons.dedup();
            let mut heads = vec!["id".to_string()];
            heads.extend(STAT_HEADS.map(String::from));
            heads.extend(reasons.iter().map(|r| {
                if r.is_empty() {
                    "block()".to_string()
                } else {
                    format!("block({})", String::from_utf8_lossy(r))
                }
            }));
            let rows = gs
                .iter()
                .map(|g| {
                    let mut key = vec![Cell::Number(g.id)];
                    key.extend(stat_cells(&g.stats));
                    key.extend(
                        reasons
                            .iter()
                            .map(|r| Cell::Number(g.stats.block.get(r).unwrap_or(0))),
                    );
                    Row { key }
                })
                .collect();
            writeln!(out, "goroutines named {name}").map_err(io)?;
            table(out, &heads, rows, args.sort.as_deref().unwrap_or("exec"), 1)
        }
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("trace-goroutines: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Streaming: one generation in memory at a time.
    let read = common::feed_trace(
        "trace-goroutines",
        &args.path,
        false,
        common::Keep::AllRead,
        Summarizer::new,
    );
    let summary = match read {
        Ok((s, broken)) => {
            if let Some(b) = broken {
                b.warn("trace-goroutines", "summarized", true);
            }
            s.finish()
        }
        Err(e) => {
            eprintln!("trace-goroutines: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = BufWriter::new(common::Stdout::lock());
    match print(&mut out, &args, &summary).and_then(|()| out.flush().map_err(|e| e.to_string())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace-goroutines: {e}");
            ExitCode::FAILURE
        }
    }
}
