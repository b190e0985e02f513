#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wsmachine::fuzzing::server_session(data));
