//! How many events of each type a trace holds and how many bytes they take, as
//! `go tool trace -d=footprint` prints it.
//!
//! Usage: `trace-footprint [--json] [--salvage] TRACE`
//!
//! - Without options: Go's table, byte-identical to Go 1.27's for Go 1.22+ traces: every one of
//!   the 256 event types with its bytes, their share of the file, its count and its share of all
//!   events, most bytes first. For Go 1.5–1.21 traces, which Go no longer reads, the same table
//!   with the v1 event names; there an event's bytes are those its record takes in the file, so
//!   they add up to the file less its 16-byte header.
//! - `--json`: one JSON object instead: `{"version":"go 1.22","trace_bytes":N,"events":N,
//!   "bytes":N,"types":[{"type":5,"name":"String","count":N,"bytes":N},...]}`, the types that
//!   occur in the table's order (see `trace_format::footprint::Footprint::write_json`).
//!
//! The trace is streamed, one batch in memory at a time. On bad input (a truncated trace, say)
//! nothing is printed but a one-line error, with the path, on stderr, and the exit status is 1;
//! bad arguments exit 2. With `--salvage`, a broken trace's footprint is that of the bytes
//! `gotrace::model::Reader::salvage` trusts, what was dropped goes to stderr, and the exit
//! status is 0.

use gotrace::format::footprint::Footprint;
use std::process::ExitCode;

#[path = "common/mod.rs"]
mod common;

const USAGE: &str = "usage: trace-footprint [--json] [--salvage] TRACE";

/// How many bytes of the trace at `path` salvage trusts, if it is broken (and says so on
/// stderr); `None` for a whole trace.
fn salvaged_bytes(path: &str) -> Result<Option<u64>, gotrace::model::Error> {
    let file = std::fs::File::open(path).map_err(gotrace::format::Error::from)?;
    let mut r = common::reader(file)?;
    while r.next_event()?.is_some() {}
    common::report_salvage("trace-footprint", path.as_ref(), &r);
    Ok(r.salvage_report()
        .filter(|s| !s.is_whole())
        .map(|s| s.bytes_read))
}

fn main() -> ExitCode {
    let args: Vec<String> = common::args();
    let (json, path) = match args.as_slice() {
        [flag, path] if flag == "--json" && !path.starts_with('-') => (true, path),
        [path] if !path.starts_with('-') => (false, path),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("trace-footprint: {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // With `--salvage`, the footprint of what salvage trusts of a broken trace: the bytes up
    // to the end of the last batch (or v1 record) it read.
    let trusted = match common::salvaging() {
        true => match salvaged_bytes(path) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("trace-footprint: {path}: {e}");
                return ExitCode::FAILURE;
            }
        },
        false => None,
    };
    let read = match trusted {
        Some(n) => Footprint::from_read(std::io::Read::take(file, n)),
        None => Footprint::from_read(file),
    };
    let footprint = match read {
        Ok(f) => f,
        Err(e) => {
            eprintln!("trace-footprint: {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = std::io::BufWriter::new(common::Stdout::lock());
    let written = if json {
        footprint.write_json(out)
    } else {
        footprint.write_table(out)
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace-footprint: writing: {e}");
            ExitCode::FAILURE
        }
    }
}
