//! Replays the inputs the fuzzer found (`fuzz/regressions/pprof/*`) through exactly what the
//! cargo-fuzz target `pprof` does, on stable and without libFuzzer; and real traces of both
//! families, whole, cut and damaged, the same way.

#[path = "../../trace-format/tests/common/mod.rs"]
mod common;

#[path = "../../../fuzz/targets/pprof.rs"]
mod pprof_target;

#[test]
fn pprof_regressions_replay() {
    common::replay_fuzz_regressions("pprof", |input| {
        pprof_target::run(input);
    });
}

#[test]
fn pprof_target_on_seeds() {
    let traces = common::testdata().join("traces");
    for name in [
        "go1.23.9/syscall.trace",
        "go1.27.3/net.trace",
        "go1.19/net.trace",
    ] {
        let bytes = std::fs::read(traces.join(name)).unwrap();
        let whole = pprof_target::run(&bytes);
        assert!(whole.iter().all(Option::is_some), "{name}: {whole:?}");
        assert!(
            whole.iter().any(|n| n.unwrap_or(0) > 0),
            "{name}: all empty"
        );
        let step = bytes.len() / 30 + 1;
        let mut damaged = bytes.clone();
        for at in (0..bytes.len()).step_by(step) {
            pprof_target::run(&bytes[..at]);
            damaged[at] ^= 0xff;
            pprof_target::run(&damaged);
            damaged[at] ^= 0xff;
        }
    }
}
