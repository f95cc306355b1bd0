//! The timeline of a large trace: Go's proc view written to a sink that counts bytes (the JSON
//! is several times the trace), on one thread and with the reader on a second one, the same
//! view as a Perfetto trace, and Go's splitter ranges (two passes that write nothing).
//!
//! Run: `scripts/gen-large-trace.sh && cargo bench --bench viewer`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gotrace::model::Reader;
use gotrace::viewer::{Format, Options, Timeline};
use std::hint::black_box;
use std::io::Write;

#[path = "common.rs"]
mod common;
use common::bench_trace;

/// Counts what is written.
#[derive(Default)]
struct Count(u64);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn viewer(c: &mut Criterion) {
    let (path, bytes) = bench_trace();
    eprintln!("trace: {} ({} bytes)", path.display(), bytes.len());
    let mut g = c.benchmark_group("viewer");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(10);

    g.bench_function("proc_view", |b| {
        b.iter(|| {
            let mut t = Timeline::new(Count::default(), Options::default());
            Reader::new(black_box(&bytes))
                .unwrap()
                .feed(&mut t)
                .unwrap();
            t.finish().unwrap().0
        })
    });

    g.bench_function("proc_view_pipelined", |b| {
        b.iter(|| {
            let mut t = Timeline::new(Count::default(), Options::default());
            Reader::new(black_box(&bytes))
                .unwrap()
                .feed_pipelined(&mut t)
                .unwrap();
            t.finish().unwrap().0
        })
    });

    g.bench_function("perfetto_proc_view", |b| {
        b.iter(|| {
            let mut opts = Options::default();
            opts.format = Format::Perfetto;
            let mut t = Timeline::new(Count::default(), opts);
            Reader::new(black_box(&bytes))
                .unwrap()
                .feed(&mut t)
                .unwrap();
            t.finish().unwrap().0
        })
    });

    g.bench_function("ranges", |b| {
        b.iter(|| gotrace::viewer::ranges(black_box(&bytes)).unwrap().len())
    });
    g.finish();
}

criterion_group!(benches, viewer);
criterion_main!(benches);
