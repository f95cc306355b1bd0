//! Prints every event of a Go trace as Go's `Event.String()` prints it, one after another:
//! the output of `go tool trace -d=parsed`. Reads Go's binary format or its raw text format.
//!
//! Usage: `trace-events TRACE`. On an error: the events before it, then the error on stderr and
//! exit status 1.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

#[path = "common/mod.rs"]
mod common;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: trace-events TRACE");
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
        let mut reader = gotrace::model::Reader::from_read(file)?;
        while let Some(event) = reader.next_event()? {
            // Go prints every event its reader gives, and fails (panics) printing one whose
            // stack or string its reader didn't check and the tables lack: stop there too.
            if let Some((what, id)) = event.unresolved_id() {
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
