#![no_main]

// The reference model is test code, shared with tests/prop_model.rs.
#[path = "../../tests/model/mod.rs"]
mod model;

libfuzzer_sys::fuzz_target!(|data: &[u8]| wsmachine::fuzzing::frames_vs_model(data, model::decode));
