//! The full ordered pass of trace-model over a large trace: every event in Go's order with
//! goroutine, P and M state, as `trace-events` and the profiles read it. Group `ordered` reads
//! the bench trace, `ordered-dense` the dense one (more events per byte).
//!
//! Run: `scripts/gen-large-trace.sh && DENSE=1 scripts/gen-large-trace.sh &&
//! cargo bench --bench ordered`
//! (`scripts/time-model.sh` times the same pass against Go's reader.)

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gotrace::model::{Reader, ReaderOptions};
use std::hint::black_box;

#[path = "common.rs"]
mod common;
use common::{bench_trace, dense_trace};

/// Every event, each lent by the reader, with something taken from it so none is skipped.
fn lent_events(mut r: Reader<'_>) -> i64 {
    let mut n = 0i64;
    while let Some(ev) = r.next_event().unwrap() {
        n = n.wrapping_add(ev.goroutine());
    }
    n
}

fn ordered(c: &mut Criterion) {
    passes(c, "ordered", bench_trace());
}

fn ordered_dense(c: &mut Criterion) {
    passes(c, "ordered-dense", dense_trace());
}

/// The passes over one trace, as group `name`.
fn passes(c: &mut Criterion, name: &str, (path, bytes): (std::path::PathBuf, Vec<u8>)) {
    eprintln!("trace: {} ({} bytes)", path.display(), bytes.len());
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(10);

    // From memory, batches read in place, each event lent by the reader.
    g.bench_function("slice", |b| {
        b.iter(|| lent_events(Reader::new(black_box(&bytes)).unwrap()))
    });

    // From a file, one generation's bytes at a time: what Go's reader does (and our examples),
    // so this is the pass to set against it. The file is in the page cache after the first run.
    g.bench_function("file", |b| {
        b.iter(|| {
            let f = std::fs::File::open(black_box(&path)).unwrap();
            lent_events(Reader::from_read(f).unwrap())
        })
    });

    // The same on two threads: a worker reads the next generation while this one is ordered.
    g.bench_function("file-2threads", |b| {
        b.iter(|| {
            let f = std::fs::File::open(black_box(&path)).unwrap();
            let options = ReaderOptions {
                threads: 2,
                ..ReaderOptions::default()
            };
            lent_events(Reader::from_read_with_options(f, options).unwrap())
        })
    });

    // From a stream in memory: one generation's bytes at a time.
    g.bench_function("stream", |b| {
        b.iter(|| lent_events(Reader::from_read(black_box(&bytes[..])).unwrap()))
    });

    // As an iterator of owned events (each holds a reference to its generation's tables).
    g.bench_function("owned", |b| {
        b.iter(|| {
            let mut n = 0i64;
            for ev in Reader::new(black_box(&bytes)).unwrap() {
                n = n.wrapping_add(ev.unwrap().goroutine());
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, ordered, ordered_dense);
criterion_main!(benches);
