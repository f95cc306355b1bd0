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

#[path = "common.rs"]
mod common;
use common::bench_trace;

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
