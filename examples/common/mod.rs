//! What the examples share: standard output that ends the program quietly when the reader of
//! a pipe has gone (`trace-events TRACE | head`), as Unix tools do. Every example that writes
//! to standard output writes through it. And how the examples read a trace that turns out
//! broken: as Go's tools do ([`feed_trace`]).

// Each example uses some of this.
#![allow(dead_code)]

use std::io::{self, Write};

/// Standard output, locked. A write to a pipe whose reader has closed ends the process with
/// status 0 and no message, rather than an error per example.
pub struct Stdout(io::StdoutLock<'static>);

impl Stdout {
    pub fn lock() -> Stdout {
        Stdout(io::stdout().lock())
    }
}

fn quiet_on_broken_pipe<T>(r: io::Result<T>) -> io::Result<T> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        r => r,
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        quiet_on_broken_pipe(self.0.write(buf))
    }
    fn flush(&mut self) -> io::Result<()> {
        quiet_on_broken_pipe(self.0.flush())
    }
}

/// A table printed as the analysis examples print theirs: a heading line, then one line per
/// row, the first `left` columns left-aligned and the rest right-aligned, two spaces apart.
#[allow(dead_code)]
pub fn write_table(
    out: &mut dyn Write,
    heads: &[String],
    rows: &[Vec<String>],
    left: usize,
) -> io::Result<()> {
    let width = |i: usize| {
        rows.iter()
            .filter_map(|r| r.get(i))
            .chain(heads.get(i))
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..heads.len()).map(width).collect();
    for row in std::iter::once(heads).chain(rows.iter().map(|r| r.as_slice())) {
        let mut line = String::new();
        for (i, (c, w)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = w.saturating_sub(c.chars().count());
            if i < left {
                line.push_str(c);
                line.extend(std::iter::repeat_n(' ', pad));
            } else {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(c);
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Whether `--salvage` was given: read a broken trace as far as it can be trusted
/// ([`gotrace::model::Reader::salvage`]) rather than stop where Go stops.
static SALVAGE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The program's arguments (its name left out), with `--salvage` taken out of those before any
/// `--` and remembered ([`salvaging`]).
pub fn args_os() -> Vec<std::ffi::OsString> {
    let mut out = Vec::new();
    let mut options = true;
    for a in std::env::args_os().skip(1) {
        options &= a != "--";
        if options && a == "--salvage" {
            SALVAGE.store(true, std::sync::atomic::Ordering::Relaxed);
        } else {
            out.push(a);
        }
    }
    out
}

/// [`args_os`] as strings (an argument that isn't UTF-8 is an error, as with
/// `std::env::args`).
pub fn args() -> Vec<String> {
    let to_string = |a: std::ffi::OsString| {
        a.into_string()
            .unwrap_or_else(|a| panic!("argument is not valid Unicode: {a:?}"))
    };
    args_os().into_iter().map(to_string).collect()
}

/// Whether `--salvage` was among the arguments (see [`args_os`]).
pub fn salvaging() -> bool {
    SALVAGE.load(std::sync::atomic::Ordering::Relaxed)
}

/// A reader of the trace `file` of `path`, streamed; one that salvages with `--salvage`.
pub fn reader<R: std::io::Read + Send + 'static>(
    file: R,
) -> gotrace::model::Result<gotrace::model::Reader<'static>> {
    if salvaging() {
        gotrace::model::Reader::from_read_salvage(file)
    } else {
        gotrace::model::Reader::from_read(file)
    }
}

/// A reader of the trace `file`, streamed, on `options.threads` threads (the next generation
/// read ahead on a worker thread while this one orders); [`reader`]'s with `--salvage`.
pub fn reader_with<R: std::io::Read + Send + 'static>(
    file: R,
    options: gotrace::model::ReaderOptions,
) -> gotrace::model::Result<gotrace::model::Reader<'static>> {
    if salvaging() {
        gotrace::model::Reader::from_read_salvage_with_limits(file, options.limits)
    } else {
        gotrace::model::Reader::from_read_with_options(file, options)
    }
}

/// Says on stderr what salvage kept and dropped of the trace at `path`, read by `reader` to
/// its end, when it salvaged and the trace was broken.
pub fn report_salvage(tool: &str, path: &std::ffi::OsStr, reader: &gotrace::model::Reader<'_>) {
    end_progress();
    let Some(report) = reader.salvage_report() else {
        return;
    };
    if report.is_whole() {
        return;
    }
    let size = std::fs::metadata(path).ok().map(|m| m.len());
    let name = std::path::Path::new(path).display();
    eprintln!("{tool}: {name}: the trace is broken; --salvage read it as far as it can be trusted");
    for line in report.with_size(size).to_string().lines() {
        eprintln!("{tool}: {line}");
    }
}

/// The summary of the trace at `path`, streamed (one generation in memory at a time); an error
/// names the file. With `--salvage`, of what can be trusted of a broken trace, `tool` saying on
/// stderr what salvage kept.
pub fn summarize(tool: &str, path: &std::ffi::OsStr) -> Result<gotrace::model::Summary, String> {
    let name = std::path::Path::new(path).display().to_string();
    let file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
    let mut summarizer = gotrace::model::Summarizer::new();
    let mut r = reader(file).map_err(|e| format!("{name}: {e}"))?;
    r.feed(&mut summarizer)
        .map_err(|e| format!("{name}: {e}"))?;
    report_salvage(tool, path, &r);
    Ok(summarizer.finish())
}

/// What reading a broken trace kept, as Go's tools keep it: the events of its complete
/// generations (up to the last `Sync` before the error), or every event read before the error.
pub struct Broken {
    /// Where Go's reader stops.
    pub error: gotrace::model::Error,
    /// Events read before the error.
    pub read: u64,
    /// Of those, the events of the complete generations: what Go's profiles and MMU use.
    pub complete: u64,
    /// The time of the last of them.
    pub complete_until: i64,
    /// Bytes of the complete generations (header included), and of the whole file.
    pub complete_bytes: u64,
    pub file_bytes: u64,
}

impl Broken {
    /// Says on stderr what was left out, `what` being what the tool made of the rest.
    pub fn warn(&self, tool: &str, what: &str, kept_all_read: bool) {
        end_progress();
        eprintln!("{tool}: the trace is broken: {}", self.error);
        let lost = self.file_bytes.saturating_sub(self.complete_bytes);
        let pct = lost as f64 * 100.0 / self.file_bytes.max(1) as f64;
        if kept_all_read {
            eprintln!(
                "{tool}: as go tool trace does, {what} the {} events read before the error; \
                 the events of its last, broken generation ({} of them) may be incomplete, and \
                 the trace past byte {} ({lost} bytes, {pct:.2}% of {}) was left out",
                self.read,
                self.read.saturating_sub(self.complete),
                self.complete_bytes,
                self.file_bytes
            );
        } else {
            eprintln!(
                "{tool}: as go tool trace does, {what} the {} events of its complete generations \
                 (up to {} ns) and left out the rest: {} events read of the broken generation, \
                 and everything past byte {} ({lost} bytes, {pct:.2}% of {})",
                self.complete,
                self.complete_until,
                self.read.saturating_sub(self.complete),
                self.complete_bytes,
                self.file_bytes
            );
        }
    }
}

/// Which events of a broken trace a tool takes, as Go's tools take them.
#[derive(Clone, Copy)]
pub enum Keep<S> {
    /// Every event read before the error (Go's goroutine summary).
    AllRead,
    /// The events of the complete generations only (Go's MMU and the trace viewer).
    Complete,
    /// The events of the complete generations; then this is called on the sink, which is fed
    /// the rest of the events read as well (Go's profiles: their goroutine filter comes from
    /// a summary of every event read).
    CompleteThen(fn(&mut S)),
}

/// Feeds the events of the trace at `path`, streamed, to a sink made by `make`; on two threads
/// when `pipelined` and there is a core to spare. When the trace is broken, the sink holds the
/// events `keep` says, and the `Broken` says what was left out; errors opening the trace are
/// errors.
pub fn feed_trace<S: gotrace::model::EventSink + Send>(
    tool: &str,
    path: &std::ffi::OsStr,
    pipelined: bool,
    keep: Keep<S>,
    mut make: impl FnMut() -> S,
) -> Result<(S, Option<Broken>), Box<dyn std::error::Error>> {
    use gotrace::model::Reader;
    let open = || -> Result<(Reader<'static>, u64), Box<dyn std::error::Error>> {
        let file =
            std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.to_string_lossy()))?;
        let size = file.metadata().map_or(0, |m| m.len());
        // With a core to spare, the next generation is read ahead too.
        let reader = match pipelined {
            true => reader_with(file, gotrace::model::ReaderOptions::default())?,
            false => reader(file)?,
        };
        Ok((reader, size))
    };
    let (mut reader, file_bytes) = open()?;
    let mut counted = Counted {
        sink: make(),
        read: 0,
        complete: 0,
        complete_until: 0,
    };
    let fed = if pipelined && std::thread::available_parallelism().map_or(1, |n| n.get()) > 1 {
        reader.feed_pipelined(&mut counted)
    } else {
        reader.feed(&mut counted)
    };
    let error = match fed {
        Ok(_) => {
            report_salvage(tool, path, &reader);
            return Ok((counted.sink, None));
        }
        Err(e) => e,
    };
    let broken = Broken {
        error,
        read: counted.read,
        complete: counted.complete,
        complete_until: counted.complete_until,
        complete_bytes: reader.bytes_complete(),
        file_bytes,
    };
    let then = match keep {
        Keep::AllRead => return Ok((counted.sink, Some(broken))),
        _ if broken.complete == broken.read => return Ok((counted.sink, Some(broken))),
        Keep::Complete => None,
        Keep::CompleteThen(f) => Some(f),
    };
    // Events of the broken generation were fed: read again, up to them.
    let (mut reader, _) = open()?;
    let mut sink = make();
    let mut n = 0;
    while n < broken.read {
        let Ok(Some(ev)) = reader.next_event() else {
            break;
        };
        if n == broken.complete {
            match then {
                Some(f) => f(&mut sink),
                None => break,
            }
        }
        sink.event(ev);
        n += 1;
    }
    Ok((sink, Some(broken)))
}

/// A sink that counts the events it passes on, and those up to the last `Sync`.
struct Counted<S> {
    sink: S,
    read: u64,
    complete: u64,
    complete_until: i64,
}

impl<S: gotrace::model::EventSink> gotrace::model::EventSink for Counted<S> {
    fn event(&mut self, ev: &gotrace::model::Event) {
        self.sink.event(ev);
        self.read += 1;
        if ev.kind() == gotrace::model::EventKind::Sync {
            self.complete = self.read;
            self.complete_until = ev.time();
        }
    }
}

/// Whether a [`Progress`] bar is drawn and its line not yet ended.
static BAR_OPEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Ends the progress bar's line, if one is open, so that what follows on stderr starts a line
/// of its own (the reader may stop before the end of the trace, and live on).
pub fn end_progress() {
    if BAR_OPEN.swap(false, std::sync::atomic::Ordering::Relaxed) {
        eprintln!();
    }
}

/// A trace's bytes as they are read, with a progress bar on stderr when stderr is a terminal
/// and the trace is large (over 16 MiB): `TOOL: [####    ]  42%`, redrawn as the percentage
/// changes; its line ends when the trace is read to its end, when the reader is dropped, or at
/// [`end_progress`].
pub struct Progress<R> {
    inner: R,
    tool: &'static str,
    read: u64,
    total: u64,
    shown: Option<u64>,
    on: bool,
}

impl<R: std::io::Read> Progress<R> {
    /// `inner`, a trace of `total` bytes, read by `tool`.
    pub fn new(tool: &'static str, inner: R, total: u64) -> Progress<R> {
        use std::io::IsTerminal;
        Progress {
            inner,
            tool,
            read: 0,
            total,
            shown: None,
            on: std::io::stderr().is_terminal() && total > 16 << 20,
        }
    }
}

impl<R: std::io::Read> std::io::Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.on {
            if n == 0 {
                self.on = false;
                end_progress();
            } else {
                self.read += n as u64;
                let pct = (self.read * 100 / self.total.max(1)).min(100);
                if self.shown != Some(pct) {
                    self.shown = Some(pct);
                    let bar = "#".repeat((pct / 2) as usize);
                    eprint!("\r{}: [{bar:<50}] {pct:3}%", self.tool);
                    BAR_OPEN.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
        Ok(n)
    }
}

impl<R> Drop for Progress<R> {
    fn drop(&mut self) {
        end_progress();
    }
}
