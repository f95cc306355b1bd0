//! Reads every event of each trace in Go's order, as Go's reader does, and says whether the
//! trace is sound: one line per trace,
//!
//! ```text
//! PATH: ok: go 1.26, 23509257 events, 9 generations
//! PATH: error after 1234 events: ERROR
//! ```
//!
//! where ERROR is Go's error where Go has one, with its byte offset, generation and event.
//! Exit status 0 when every trace is sound, 1 when one is not, 2 on bad arguments.
//!
//! With `--salvage`, each trace is read as far as it can be trusted: a broken one says
//! `salvaged` and how many events were kept, what was dropped goes to stderr, and the exit
//! status is 0.
//!
//! Usage: `trace-check [--threads 1|2] [--salvage] TRACE...`. A trace of any version, or Go's
//! raw text format of a Go 1.22+ trace. Each is streamed from its file, so this is also the bare
//! ordered pass to time against Go's reader (`scripts/time-model.sh`). With `--threads 2` (the
//! default on a machine with a second core) a worker thread reads the next generation while
//! this one orders the current one, two generations in memory at most; with `--threads 1`, one
//! thread and one generation. Salvage reads on one thread.

#[path = "common/mod.rs"]
mod common;

use gotrace::model::{EventKind, ReaderOptions};
use std::io::Write;
use std::process::ExitCode;

/// A sound trace: its version, events and `Sync` events.
struct Sound {
    /// Broken, and read with `--salvage`.
    salvaged: bool,
    version: gotrace::format::Version,
    events: u64,
    syncs: u64,
}

/// Reads the trace at `path` to its end; on an error, how many events came before it.
fn check(
    path: &std::ffi::OsStr,
    options: ReaderOptions,
) -> Result<Sound, (u64, gotrace::model::Error)> {
    let file = std::fs::File::open(path).map_err(|e| (0, e.into()))?;
    let mut reader = common::reader_with(file, options).map_err(|e| (0, e))?;
    let (mut events, mut syncs) = (0, 0);
    loop {
        match reader.next_event() {
            Ok(Some(ev)) => {
                events += 1;
                syncs += u64::from(ev.kind() == EventKind::Sync);
            }
            Ok(None) => break,
            Err(e) => return Err((events, e)),
        }
    }
    common::report_salvage("trace-check", path, &reader);
    Ok(Sound {
        salvaged: reader.salvage_report().is_some_and(|r| !r.is_whole()),
        version: reader.version(),
        events,
        syncs,
    })
}

fn main() -> ExitCode {
    let mut paths: Vec<_> = common::args_os();
    let mut options = ReaderOptions::default();
    if paths.first().is_some_and(|a| a == "--threads") {
        match paths.get(1).and_then(|n| n.to_str()) {
            Some("1") => options.threads = 1,
            Some("2") => options.threads = 2,
            _ => paths.clear(),
        }
        paths.drain(..paths.len().min(2));
    }
    if paths.is_empty() || paths.iter().any(|p| p.to_string_lossy().starts_with('-')) {
        eprintln!("usage: trace-check [--threads 1|2] [--salvage] TRACE...");
        return ExitCode::from(2);
    }
    let mut out = common::Stdout::lock();
    let mut sound = true;
    for path in &paths {
        let checked = check(path, options);
        let path = path.to_string_lossy();
        let line = match &checked {
            Ok(c) => {
                // A Sync opens each generation, and one more closes the trace.
                let generations = c.syncs.saturating_sub(1);
                let s = if generations == 1 { "" } else { "s" };
                let (v, n) = (c.version, c.events);
                let ok = if c.salvaged { "salvaged" } else { "ok" };
                format!("{path}: {ok}: {v}, {n} events, {generations} generation{s}")
            }
            Err((events, e)) => format!("{path}: error after {events} events: {e}"),
        };
        sound &= checked.is_ok();
        if let Err(e) = writeln!(out, "{line}") {
            eprintln!("trace-check: {e}");
            return ExitCode::FAILURE;
        }
    }
    if sound {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
