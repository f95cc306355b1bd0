//! The traces the benchmarks read.
//!
//! The bench trace is `$GOTRACE_BENCH_TRACE`, else `target/bench/large.trace`, which
//! `scripts/gen-large-trace.sh` makes (about 120 MB, written by Go 1.27; not committed). The
//! dense trace, a busier service with fewer bytes per event, is `$GOTRACE_DENSE_TRACE`, else
//! `target/bench/dense.trace` (`DENSE=1 scripts/gen-large-trace.sh`, about 160 MB).
//! Without them the benchmarks fall back to a small committed trace and say so.

#![allow(dead_code)]

use std::path::PathBuf;

/// The bench trace: its path and bytes.
pub fn bench_trace() -> (PathBuf, Vec<u8>) {
    trace_from(
        "GOTRACE_BENCH_TRACE",
        "target/bench/large.trace",
        "scripts/gen-large-trace.sh",
    )
}

/// The dense trace: its path and bytes.
pub fn dense_trace() -> (PathBuf, Vec<u8>) {
    trace_from(
        "GOTRACE_DENSE_TRACE",
        "target/bench/dense.trace",
        "DENSE=1 scripts/gen-large-trace.sh",
    )
}

/// The trace at `$var`, else at `default` in the repository, which `make` makes.
fn trace_from(var: &str, default: &str, make: &str) -> (PathBuf, Vec<u8>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(default));
    if let Ok(b) = std::fs::read(&path) {
        return (path, b);
    }
    let small = root.join("testdata/traces/go1.27.3/generations.trace");
    eprintln!(
        "{} not found (run {make}); benchmarking the small {} instead",
        path.display(),
        small.display()
    );
    let b = std::fs::read(&small).expect("committed testdata trace");
    (small, b)
}
