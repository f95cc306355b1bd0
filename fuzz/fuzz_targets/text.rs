//! Go's raw text format from any bytes. The body is in `fuzz/targets/text.rs`, which the replay tests share.
#![no_main]

#[path = "../targets/text.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    target::run(data);
});
