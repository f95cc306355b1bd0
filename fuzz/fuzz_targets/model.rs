//! The ordered model on any bytes. The body is in `fuzz/targets/model.rs`, which the replay tests share.
#![no_main]

#[path = "../targets/model.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    target::run(data);
});
