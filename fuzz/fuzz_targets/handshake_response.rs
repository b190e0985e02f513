#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wsmachine::fuzzing::handshake_response(data));
