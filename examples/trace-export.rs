//! Exports Go traces as Parquet tables, for DuckDB or Spark.
//!
//! Usage: `trace-export --parquet OUT_DIR [--row-group-rows N] [--salvage] TRACE...`
//!
//! Each trace becomes `OUT_DIR/TABLE/trace=ID/part-0.parquet` for every table (`traces`,
//! `events`, `stacks`, `goroutines`, `regions`, `tasks`, `gc_cycles`, `stw_pauses`,
//! `profile_samples`), ID the XXH3-128 hash of the trace's bytes, in one streaming pass per
//! trace. One line per trace goes to stdout: `PATH: trace=ID, N events`. A trace that can't be
//! read is reported on stderr by name and skipped, and nothing of it is written; the others
//! are still exported, and the exit status is 1. Exporting a trace again replaces its tables.
//! With `--salvage` a broken trace is exported as far as it can be trusted, and what was
//! dropped goes to stderr.
//! Needs the cargo feature `columnar`.

#[path = "common/mod.rs"]
mod common;

use gotrace::columnar::{export_file, Options};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "usage: trace-export --parquet OUT_DIR [--row-group-rows N] [--salvage] TRACE...";

struct Args {
    out: PathBuf,
    traces: Vec<PathBuf>,
    opts: Options,
}

fn parse_args() -> Result<Args, String> {
    let mut it = common::args_os().into_iter();
    let (mut out, mut traces, mut opts) = (None, Vec::new(), Options::default());
    opts.salvage = common::salvaging();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.to_str().and_then(|s| s.split_once('=')) {
            Some((f, v)) if f.starts_with("--") => (Some(f.to_string()), Some(v.into())),
            _ => (a.to_str().map(str::to_string), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_deref() {
            Some("--parquet") => out = Some(PathBuf::from(value("--parquet")?)),
            Some("--row-group-rows") => {
                let v = value("--row-group-rows")?;
                opts.row_group_rows = v
                    .to_str()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--row-group-rows needs a positive number")?;
            }
            Some("-h" | "--help") => return Err(USAGE.into()),
            Some(f) if f.starts_with('-') && f.len() > 1 => {
                return Err(format!("unknown flag {f}"))
            }
            _ => traces.push(PathBuf::from(a)),
        }
    }
    let out = out.ok_or("--parquet OUT_DIR is required")?;
    if traces.is_empty() {
        return Err("no trace given".into());
    }
    Ok(Args { out, traces, opts })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("trace-export: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("trace-export: {}: {e}", args.out.display());
        return ExitCode::FAILURE;
    }
    let mut out = common::Stdout::lock();
    let mut failed = 0;
    for path in &args.traces {
        match export_file(path, &args.out, &args.opts) {
            Ok(done) => {
                for line in done.salvage.iter().flat_map(|r| r.lines()) {
                    eprintln!("trace-export: {}: {line}", path.display());
                }
                // A closed stdout doesn't stop the export.
                let _ = writeln!(
                    out,
                    "{}: trace={}, {} events",
                    path.display(),
                    done.id,
                    done.events
                );
            }
            Err(e) => {
                failed += 1;
                eprintln!("trace-export: {}: {e}", path.display());
            }
        }
    }
    if failed > 0 {
        eprintln!(
            "trace-export: {failed} of {} traces failed",
            args.traces.len()
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
