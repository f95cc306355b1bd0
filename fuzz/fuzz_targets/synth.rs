//! Synthetic traces from any schedule: valid, and read back as written. The body is in
//! `fuzz/targets/synth.rs`, which the replay tests share.
#![no_main]

#[path = "../targets/synth.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    target::run(data);
});
