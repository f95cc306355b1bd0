//! Prints a Go 1.22+ execution trace in Go's raw text format, as
//! `go tool trace -d=wire` does after a `Trace Go1.N` header line (Go's raw reader plus its
//! `TextWriter`).
//!
//! Usage: `cargo run --release --example trace-raw -- TRACE`
//!
//! The trace is streamed one batch at a time, so memory stays small whatever the file's size. On
//! bad input the events before the problem are printed, then a one-line error goes to stderr and
//! the exit status is 1.

use gotrace::format::{StreamReader, TextWriter};
use std::io::{BufWriter, Write};
use std::process::ExitCode;

fn run(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut reader = StreamReader::new(file)?;
    let stdout = std::io::stdout().lock();
    let mut out = TextWriter::new(BufWriter::with_capacity(1 << 16, stdout), reader.version())?;
    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        while let Some(batch) = reader.next_batch()? {
            out.write_event(&batch.header_event())?;
            for event in batch.events() {
                out.write_event(&event?)?;
            }
        }
        Ok(())
    })();
    out.into_inner().flush()?;
    result
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("usage: trace-raw TRACE");
        return ExitCode::from(2);
    };
    match run(path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace-raw: {e}");
            ExitCode::FAILURE
        }
    }
}
