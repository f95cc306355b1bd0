//! The trace the benchmarks read.
//!
//! It is `$GOTRACE_BENCH_TRACE`, else `target/bench/large.trace`, which
//! `scripts/gen-large-trace.sh` makes (about 120 MB, written by Go 1.27; not committed). Without
//! it the benchmarks fall back to a small committed trace and say so.

use std::path::PathBuf;

pub fn bench_trace() -> (PathBuf, Vec<u8>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = std::env::var_os("GOTRACE_BENCH_TRACE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/bench/large.trace"));
    if let Ok(b) = std::fs::read(&path) {
        return (path, b);
    }
    let small = root.join("testdata/traces/go1.27.3/generations.trace");
    eprintln!(
        "{} not found (run scripts/gen-large-trace.sh); benchmarking the small {} instead",
        path.display(),
        small.display()
    );
    let b = std::fs::read(&small).expect("committed testdata trace");
    (small, b)
}
