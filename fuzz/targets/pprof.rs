//! The `pprof` fuzz target's body, shared by the target and the replay test in
//! `crates/trace-pprof/tests/fuzz_regressions.rs`: any bytes through the model into each of the
//! four profiles, each built, gzipped and read back. Never a panic, a hang or a huge allocation.

use trace_pprof::{build, compute, read_profile, write_gzip, Filter, ProfileKind};

/// Per profile kind: the number of records, or `None` if the trace didn't read.
pub fn run(data: &[u8]) -> Vec<Option<usize>> {
    ProfileKind::ALL
        .iter()
        .map(|&kind| {
            let mut reader = trace_model::Reader::new(data).ok()?;
            let records = compute(&mut reader, kind, &Filter::default()).ok()?;
            let mut gz = Vec::new();
            write_gzip(&build(&records), &mut gz).expect("gzip into memory");
            read_profile(&gz).expect("our profile reads back");
            Some(records.len())
        })
        .collect()
}
