//! Prints a Go 1.22+ execution trace in Go's raw text format, as
//! `go tool trace -d=wire` does after a `Trace Go1.N` header line (Go's raw reader plus its
//! `TextWriter`).
//!
//! Usage: `cargo run --release --example trace-raw -- [--salvage] TRACE`
//!
//! The trace is streamed one batch at a time, so memory stays small whatever the file's size. On
//! bad input the events before the problem are printed, then a one-line error goes to stderr and
//! the exit status is 1; with `--salvage`, the exit status is 0.

use std::process::ExitCode;

#[path = "common/mod.rs"]
mod common;

fn main() -> ExitCode {
    let args: Vec<String> = common::args();
    let [path] = args.as_slice() else {
        eprintln!("usage: trace-raw [--salvage] TRACE");
        return ExitCode::from(2);
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("trace-raw: {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match gotrace::format::text::write_text(file, common::Stdout::lock()) {
        Ok(()) => ExitCode::SUCCESS,
        // Raw events are read one after another: those before the damage are what can be
        // trusted, and they were printed.
        Err(e) if common::salvaging() => {
            eprintln!("trace-raw: {path}: the trace is broken: {e}");
            eprintln!("trace-raw: salvage: the raw events before the damage were printed");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("trace-raw: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}
