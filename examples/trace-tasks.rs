//! User tasks as `go tool trace` shows them on its `/usertasks` and `/usertask` pages,
//! computed as Go 1.27 computes them (`trace_model::regions`).
//!
//! Usage: `trace-tasks [--json] [--type TYPE] [--salvage] TRACE`
//!
//! - Without options: one row per task type, sorted by type: how many tasks, how many the
//!   trace holds both ends of (complete) and not, and the durations of the complete ones:
//!   total, mean, min, median, 90th and 99th percentile, max.
//! - `--type TYPE`: the tasks of that type as the `/usertask?type=` page lists them, shortest
//!   first: each task's start (seconds since the trace's first event), duration, ID and
//!   whether complete, then its events, its begin and end, logs and regions' begins and ends,
//!   with their time, the time since the one before, the goroutine and what happened, in Go's
//!   words (`region "fetch" begin`, `log (category: c): "msg"`, `Running -> NotExist`).
//! - `--json`: one JSON object per task type instead (of the type with `--type`), with every
//!   task's page, as `trace_model::regions::json::write_task_type` writes it; the committed
//!   goldens beside the testdata traces are Go's own answer in this form.
//!
//! One streaming pass. A trace that can't be read is named with the error (exit 1); bad
//! arguments exit 2.
//!
//! With `--salvage`, a broken trace is read as far as it can be trusted
//! (`gotrace::model::Reader::salvage`): every complete generation, then what of the broken one
//! can be ordered. What was dropped goes to stderr, and the exit status is 0.

#[path = "common/mod.rs"]
mod common;

use gotrace::model::regions::json::{elapsed_text, seconds, write_task_type};
use gotrace::model::regions::{task_types, TaskType};
use gotrace::model::summary::GoDuration;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

const USAGE: &str = "usage: trace-tasks [--json] [--type TYPE] [--salvage] TRACE";

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

fn name(ty: &[u8]) -> String {
    if ty.is_empty() {
        "(no type)".into()
    } else {
        String::from_utf8_lossy(ty).into_owned()
    }
}

fn print(out: &mut dyn Write, args: &Args, types: &[TaskType<'_>]) -> std::io::Result<()> {
    if args.json {
        let mut line = String::new();
        for t in types {
            write_task_type(&mut line, t);
        }
        return out.write_all(line.as_bytes());
    }
    if let Some(ty) = &args.ty {
        if types.is_empty() {
            writeln!(out, "no tasks of type {ty:?}")?;
        }
        for t in types {
            writeln!(
                out,
                "{:>14}  {:>12}  {:>9}  events",
                "when", "elapsed", "goroutine"
            )?;
            for p in &t.tasks {
                let state = if p.task.complete() {
                    "complete"
                } else {
                    "incomplete"
                };
                writeln!(
                    out,
                    "{:>14}  {:>12}  {:>9}  task {} ({state})",
                    format!("{:.9}s", seconds(p.start)),
                    d(p.duration),
                    "",
                    p.task.id
                )?;
                for e in &p.events {
                    writeln!(
                        out,
                        "{:>14}  {:>12}  {:>9}  {}",
                        format!("{:.9}", seconds(e.since_start)),
                        elapsed_text(e.elapsed),
                        e.goroutine,
                        String::from_utf8_lossy(&e.what)
                    )?;
                }
            }
        }
        return Ok(());
    }
    let heads: Vec<String> = [
        "type",
        "count",
        "complete",
        "incomplete",
        "total",
        "mean",
        "min",
        "p50",
        "p90",
        "p99",
        "max",
    ]
    .map(String::from)
    .into();
    let rows: Vec<Vec<String>> = types
        .iter()
        .map(|t| {
            let s = &t.stats;
            vec![
                name(t.ty),
                t.count.to_string(),
                t.complete.to_string(),
                t.incomplete.to_string(),
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
    common::write_table(out, &heads, &rows, 1)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("trace-tasks: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let summary = match common::summarize("trace-tasks", &args.path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("trace-tasks: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut types = task_types(&summary);
    if let Some(ty) = &args.ty {
        types.retain(|t| t.ty == ty.as_bytes());
    }
    let mut out = BufWriter::new(common::Stdout::lock());
    match print(&mut out, &args, &types).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace-tasks: writing: {e}");
            ExitCode::FAILURE
        }
    }
}
