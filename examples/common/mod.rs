//! What the examples share: standard output that ends the program quietly when the reader of
//! a pipe has gone (`trace-events TRACE | head`), as Unix tools do. Every example that writes
//! to standard output writes through it.

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

/// The summary of the trace at `path`, streamed (one generation in memory at a time); an error
/// names the file.
#[allow(dead_code)]
pub fn summarize(path: &std::ffi::OsStr) -> Result<gotrace::model::Summary, String> {
    let name = std::path::Path::new(path).display().to_string();
    let file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
    let mut summarizer = gotrace::model::Summarizer::new();
    gotrace::model::Reader::from_read(file)
        .and_then(|mut r| r.feed(&mut summarizer))
        .map_err(|e| format!("{name}: {e}"))?;
    Ok(summarizer.finish())
}
