#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fleetsim::fuzz::skypilot_availability(data));
