//! The four profiles on any bytes. The body is in `fuzz/targets/pprof.rs`, which the replay tests share.
#![no_main]

#[path = "../targets/pprof.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    target::run(data);
});
