//! The sched profile of a large trace, from the bytes to the gzipped profile: what
//! `trace2pprof -pprof=sched` does. `scripts/time-model.sh` times the same against
//! `go tool trace -pprof=sched`.
//!
//! Run: `scripts/gen-large-trace.sh && cargo bench --bench pprof`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gotrace::model::Reader;
use gotrace::pprof::{build, compute, write_gzip, Filter, ProfileKind, Profiler, Record};
use std::hint::black_box;

#[path = "common.rs"]
mod common;
use common::bench_trace;

fn pprof(c: &mut Criterion) {
    let (path, bytes) = bench_trace();
    eprintln!("trace: {} ({} bytes)", path.display(), bytes.len());
    let mut g = c.benchmark_group("pprof");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(10);
    for kind in [ProfileKind::Sched, ProfileKind::Sync] {
        // Ordering and profiling on one thread, then on two as trace2pprof does.
        g.bench_function(format!("{}/one_thread", kind.name()), |b| {
            b.iter(|| {
                let mut reader = Reader::new(black_box(&bytes)).unwrap();
                let records = compute(&mut reader, kind, &Filter::default()).unwrap();
                gzipped_len(&records)
            })
        });
        g.bench_function(kind.name(), |b| {
            b.iter(|| {
                let mut reader = Reader::new(black_box(&bytes)).unwrap();
                let mut p = Profiler::new(kind, Filter::default());
                reader.feed_pipelined(&mut p).unwrap();
                gzipped_len(&p.finish().unwrap())
            })
        });
    }
    g.finish();
}

fn gzipped_len(records: &[Record]) -> usize {
    let mut out = Vec::new();
    write_gzip(&build(records), &mut out).unwrap();
    out.len()
}

criterion_group!(benches, pprof);
criterion_main!(benches);
