//! Binary decoding of any bytes. The body is in `fuzz/targets/decode.rs`, which the replay tests share.
#![no_main]

#[path = "../targets/decode.rs"]
mod target;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    target::run(data);
});
