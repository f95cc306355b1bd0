//! Raw decoding throughput over a large trace.
//!
//! The trace is `$GOTRACE_BENCH_TRACE`, else `target/bench/large.trace`, which
//! `scripts/gen-large-trace.sh` makes (about 120 MB, written by Go 1.27; not committed). Without
//! it the benchmark falls back to a small committed trace and says so.
//!
//! Run: `scripts/gen-large-trace.sh && cargo bench --bench raw_decode`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gotrace::format::{StreamReader, Trace};
use std::hint::black_box;
use std::path::PathBuf;

fn bench_trace() -> (PathBuf, Vec<u8>) {
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

fn raw_decode(c: &mut Criterion) {
    let (path, bytes) = bench_trace();
    eprintln!("trace: {} ({} bytes)", path.display(), bytes.len());
    let mut g = c.benchmark_group("raw_decode");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(10);

    // Every event of every batch, decoded from memory: what trace-raw decodes.
    g.bench_function("raw_events", |b| {
        b.iter(|| {
            let trace = Trace::parse(black_box(&bytes)).unwrap();
            let mut n = 0u64;
            for ev in trace.raw_events().unwrap() {
                let ev = ev.unwrap();
                n = n.wrapping_add(ev.args().first().copied().unwrap_or(0));
            }
            n
        })
    });

    // Generations with their string and stack tables, then every event of every M batch.
    g.bench_function("generations", |b| {
        b.iter(|| {
            let trace = Trace::parse(black_box(&bytes)).unwrap();
            let mut n = 0usize;
            for gen in trace.generations().unwrap() {
                let gen = gen.unwrap();
                for batch in gen.batches() {
                    for ev in batch.events() {
                        n += ev.unwrap().args().len();
                    }
                }
            }
            n
        })
    });

    // The same, streamed from an io::Read one generation at a time.
    g.bench_function("stream_generations", |b| {
        b.iter(|| {
            let mut r = StreamReader::new(black_box(&bytes[..])).unwrap();
            let mut n = 0usize;
            while let Some(gen) = r.next_generation().unwrap() {
                for batch in gen.batches() {
                    for ev in batch.events() {
                        n += ev.unwrap().args().len();
                    }
                }
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, raw_decode);
criterion_main!(benches);
