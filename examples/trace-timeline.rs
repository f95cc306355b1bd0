//! The timeline `go tool trace` shows, as the JSON its `/jsontrace` handler serves: open it at
//! ui.perfetto.dev or in Go's trace viewer; or as a native Perfetto trace (`--perfetto`).
//!
//! Usage: `trace-timeline [--view proc|thread] [--goid N] [--focustask N] [--taskid N] [--start I --end J] [--ranges] [--perfetto] [--salvage] [-o FILE] TRACE`
//!
//! - Default: the proc view (one lane per P), byte-identical to Go 1.27's `/jsontrace`
//!   (up to the order of events Go writes from maps).
//! - `--view thread`: one lane per M (`/jsontrace?view=thread`).
//! - `--goid N`: the goroutine view of goroutine N (`/jsontrace?goid=N`): N and the goroutines
//!   that unblocked it (two steps back), over N's life. A goroutine the trace doesn't have is a
//!   bad query (exit 2), where Go answers nothing.
//! - `--start I --end J`: only the non-metadata events with indexes I to J, as Go's
//!   `start`/`end` (both or neither).
//! - `--focustask N`: the proc view over task N's span, with a `TASKS` section of N and its
//!   descendants (`/jsontrace?focustask=N`); a task the trace doesn't have is a bad query.
//! - `--taskid N`: Go's other task view (`/jsontrace?taskid=N`): the goroutine view of the
//!   goroutine of the task's first event, keeping the goroutines of N and its descendants,
//!   with their regions as async slices.
//! - `--ranges`: instead of the JSON, Go's ranges of the proc view (the links of
//!   `go tool trace`'s index page when the JSON is over 100 MiB), one line `NAME START END` per
//!   range, e.g. `0s-432.879424ms 0 1270468`; nothing when the timeline fits in one.
//! - `--perfetto`: instead of the JSON, a Perfetto trace (protobuf `TracePacket`s) of the same
//!   slices, instants, counters and arrows, one track per lane in Go's order, stacks interned,
//!   for ui.perfetto.dev; works with every view and window above.
//! - `-o FILE`: write to FILE instead of standard output.
//!
//! The trace is streamed: memory holds one generation and what is open, not the output. On bad
//! input the error, with the path, goes to stderr and the exit status is 1; bad arguments or
//! query values exit 2.
//!
//! With `--salvage`, a broken trace is read as far as it can be trusted
//! (`gotrace::model::Reader::salvage`): every complete generation, then what of the broken one
//! can be ordered. What was dropped goes to stderr, and the exit status is 0.

#[path = "common/mod.rs"]
mod common;

use gotrace::viewer::{Focus, Format, Options, TaskFocus, Timeline, View};
use std::io::Write;
use std::process::ExitCode;

/// Standard output that can move to the writing thread (a lock can't), ending the program
/// quietly when the reader of a pipe has gone, as the other examples' output does.
struct PipeOut;

impl Write for PipeOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        quiet(std::io::stdout().write(buf))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        quiet(std::io::stdout().flush())
    }
}

fn quiet<T>(r: std::io::Result<T>) -> std::io::Result<T> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        r => r,
    }
}

const USAGE: &str =
    "usage: trace-timeline [--view proc|thread] [--goid N] [--focustask N] [--taskid N] [--start I --end J] [--ranges] [--perfetto] [--salvage] [-o FILE] TRACE";

struct Args {
    opts: Options,
    ranges: bool,
    goid: Option<i64>,
    focustask: Option<u64>,
    taskid: Option<u64>,
    out: Option<String>,
    path: String,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut opts = Options::default();
    let mut ranges = false;
    let (mut start, mut end, mut out, mut path, mut goid) = (None, None, None, None, None);
    let (mut focustask, mut taskid) = (None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--view" => {
                opts.view = match value("--view")?.as_str() {
                    "proc" => View::Proc,
                    "thread" => View::Thread,
                    v => return Err(format!("unknown view {v:?} (proc or thread)")),
                }
            }
            "--start" => {
                let v = value("--start")?;
                start = Some(v.parse::<i64>().map_err(|_| format!("bad --start {v:?}"))?);
            }
            "--end" => {
                let v = value("--end")?;
                end = Some(v.parse::<i64>().map_err(|_| format!("bad --end {v:?}"))?);
            }
            "--goid" => {
                let v = value("--goid")?;
                goid = Some(v.parse::<u64>().map_err(|_| format!("bad --goid {v:?}"))? as i64);
            }
            "-o" => out = Some(value("-o")?),
            "--ranges" => ranges = true,
            "--perfetto" => opts.format = Format::Perfetto,
            "--taskid" => {
                let v = value("--taskid")?;
                taskid = Some(
                    v.parse::<u64>()
                        .map_err(|_| format!("bad --taskid {v:?}"))?,
                );
            }
            "--focustask" => {
                let v = value("--focustask")?;
                focustask = Some(
                    v.parse::<u64>()
                        .map_err(|_| format!("bad --focustask {v:?}"))?,
                );
            }
            p if !p.starts_with('-') && path.is_none() => path = Some(p.to_string()),
            _ => return Err(USAGE.to_string()),
        }
    }
    match (start, end) {
        (Some(s), Some(e)) => opts.index_window = Some((s, e)),
        (None, None) => {}
        _ => return Err("--start and --end go together".to_string()),
    }
    if ranges && opts.format == Format::Perfetto {
        // Ranges split the JSON; a Perfetto trace needs no splitting.
        return Err("--ranges and --perfetto don't go together".to_string());
    }
    let path = path.ok_or_else(|| USAGE.to_string())?;
    Ok(Args {
        opts,
        ranges,
        goid,
        focustask,
        taskid,
        out,
        path,
    })
}

/// Orders the events on this thread while the timeline is written on a second one.
fn run<W: Write + Send>(path: &str, opts: Options, out: W) -> Result<(), gotrace::viewer::Error> {
    let file = std::fs::File::open(path).map_err(gotrace::viewer::Error::Io)?;
    let total = file.metadata().map_or(0, |m| m.len());
    let mut t = Timeline::new(out, opts);
    // A long run shows how far it is on a terminal's stderr.
    let file = common::Progress::new("trace-timeline", std::io::BufReader::new(file), total);
    let mut r = common::reader(file)?;
    r.feed_pipelined(&mut t)?;
    common::report_salvage("trace-timeline", path.as_ref(), &r);
    t.finish()?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = common::args();
    let mut a = match parse_args(&args) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("trace-timeline: {msg}");
            if msg != USAGE {
                eprintln!("{USAGE}");
            }
            return ExitCode::from(2);
        }
    };
    if a.ranges {
        let ranges = std::fs::read(&a.path)
            .map_err(gotrace::viewer::Error::Io)
            .and_then(|bytes| gotrace::viewer::ranges(&bytes));
        let text: String = match ranges {
            Ok(r) => r
                .iter()
                .map(|r| format!("{} {} {}\n", r.name, r.start, r.end))
                .collect(),
            Err(e) => {
                eprintln!("trace-timeline: {}: {e}", a.path);
                return ExitCode::FAILURE;
            }
        };
        let written = match &a.out {
            Some(o) => std::fs::write(o, text),
            None => PipeOut.write_all(text.as_bytes()),
        };
        return match written {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("trace-timeline: writing: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let task_query = match (a.focustask, a.taskid) {
        (Some(id), _) => Some((id, false)),
        (None, Some(id)) => Some((id, true)),
        _ => None,
    };
    if let (None, Some((id, goroutines))) = (a.goid, task_query) {
        // A first pass: the task's span, and where it and its descendants began and ended.
        let task = std::fs::read(&a.path)
            .map_err(gotrace::viewer::Error::Io)
            .and_then(|bytes| {
                if goroutines {
                    TaskFocus::task_goroutines(&bytes, id)
                } else {
                    TaskFocus::task(&bytes, id)
                }
            });
        match task {
            Ok(Some(t)) => a.opts.task = Some(t),
            Ok(None) => {
                eprintln!("trace-timeline: {}: no task {id} in the trace (or neither its beginning nor its end)", a.path);
                return ExitCode::from(2);
            }
            Err(e) => {
                eprintln!("trace-timeline: {}: {e}", a.path);
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(goid) = a.goid {
        // A first pass: the goroutine's life and the goroutines related to it.
        let focus = std::fs::read(&a.path)
            .map_err(gotrace::viewer::Error::Io)
            .and_then(|bytes| Focus::goroutine(&bytes, goid));
        match focus {
            Ok(Some(f)) => a.opts.focus = Some(f),
            Ok(None) => {
                eprintln!(
                    "trace-timeline: {}: no goroutine {goid} in the trace",
                    a.path
                );
                return ExitCode::from(2);
            }
            Err(e) => {
                eprintln!("trace-timeline: {}: {e}", a.path);
                return ExitCode::FAILURE;
            }
        }
    }
    let result = match &a.out {
        Some(o) => match std::fs::File::create(o) {
            Ok(f) => run(&a.path, a.opts.clone(), std::io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("trace-timeline: {o}: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => run(
            &a.path,
            a.opts,
            std::io::BufWriter::with_capacity(1 << 16, PipeOut),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace-timeline: {}: {e}", a.path);
            ExitCode::FAILURE
        }
    }
}
