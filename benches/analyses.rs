//! The analyses over a large trace, each in one streaming pass on top of the ordered events:
//! goroutine summaries, GC cycles, and the mutator utilization with its MMU curve.
//!
//! Run: `scripts/gen-large-trace.sh && cargo bench --bench analyses`
//! (the `ordered` benchmark is the pass underneath all of them).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gotrace::model::gc::GcAnalyzer;
use gotrace::model::mmu::{MmuCurve, UtilFlags, Utilization};
use gotrace::model::{Reader, Summarizer};
use std::hint::black_box;

#[path = "common.rs"]
mod common;
use common::bench_trace;

fn analyses(c: &mut Criterion) {
    let (path, bytes) = bench_trace();
    eprintln!("trace: {} ({} bytes)", path.display(), bytes.len());
    let mut g = c.benchmark_group("analyses");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(10);

    g.bench_function("summary", |b| {
        b.iter(|| {
            let mut r = Reader::new(black_box(&bytes)).unwrap();
            let mut s = Summarizer::new();
            while let Some(ev) = r.next_event().unwrap() {
                s.event(ev);
            }
            s.finish().goroutines.len()
        })
    });

    g.bench_function("gc", |b| {
        b.iter(|| {
            let mut r = Reader::new(black_box(&bytes)).unwrap();
            let mut gc = GcAnalyzer::new();
            while let Some(ev) = r.next_event().unwrap() {
                gc.event(ev);
            }
            gc.finish().cycles.len()
        })
    });

    // The /mmu page's default view, then its curve at the example's windows.
    g.bench_function("mmu", |b| {
        b.iter(|| {
            let mut r = Reader::new(black_box(&bytes)).unwrap();
            let mut u =
                Utilization::new(UtilFlags::STW | UtilFlags::BACKGROUND | UtilFlags::ASSIST);
            while let Some(ev) = r.next_event().unwrap() {
                u.event(ev);
            }
            let curve = MmuCurve::new(u.finish().unwrap());
            [1_000, 1_000_000, 1_000_000_000].map(|w| curve.mmu(w))
        })
    });
    g.finish();
}

criterion_group!(benches, analyses);
criterion_main!(benches);
