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
