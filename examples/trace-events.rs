//! Prints every event of a Go trace as Go's `Event.String()` prints it, one after another:
//! the output of `go tool trace -d=parsed`. Reads Go's binary format or its raw text format.
//!
//! Usage: `trace-events [--salvage] TRACE`. On an error: the events before it, then the error on
//! stderr and exit status 1. With `--salvage`, a broken trace's events as far as they can be
//! trusted (strings and stacks its lost tables held print empty), what was dropped on stderr,
//! and exit status 0.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

#[path = "common/mod.rs"]
mod common;

fn main() -> ExitCode {
    let mut args = common::args_os().into_iter();
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: trace-events [--salvage] TRACE");
        return ExitCode::from(2);
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("trace-events: {}: {e}", path.to_string_lossy());
            return ExitCode::FAILURE;
        }
    };
    let mut out = BufWriter::with_capacity(1 << 16, common::Stdout::lock());
    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        // Streaming: one generation in memory at a time.
        let mut reader = common::reader(file)?;
        while let Some(event) = reader.next_event()? {
            // Go prints every event its reader gives, and fails (panics) printing one whose
            // stack or string its reader didn't check and the tables lack: stop there too.
            // (Salvage keeps events whose tables were lost, and says so.)
            let unresolved = event.unresolved_id().filter(|_| !event.tables_lost());
            if let Some((what, id)) = unresolved {
                let table = if what == "stack" { "trace.stack" } else { what };
                return Err(format!(
                    "expected id {id} in {table} table ({} event at {} ns, M {})",
                    event.kind(),
                    event.time(),
                    event.thread()
                )
                .into());
            }
            // Go's exact bytes: names that aren't UTF-8 as they are.
            event.write_go(&mut out)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        common::report_salvage("trace-events", &path, &reader);
        Ok(())
    })();
    let flushed = out.flush();
    match (result, flushed) {
        (Ok(()), Ok(())) => ExitCode::SUCCESS,
        (Err(e), _) => {
            eprintln!("trace-events: {e}");
            ExitCode::FAILURE
        }
        (_, Err(e)) => {
            eprintln!("trace-events: {e}");
            ExitCode::FAILURE
        }
    }
}
