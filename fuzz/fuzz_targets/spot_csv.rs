#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fleetsim::fuzz::spot_csv(data));
