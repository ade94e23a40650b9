#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fleetsim::fuzz::request_trace(data));
