#![no_main]

// httparse as the tokenizer's oracle, shared with tests/head_tokenizer.rs.
#[path = "../../tests/head_oracle/mod.rs"]
mod head_oracle;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wsmachine::fuzzing::handshake_response(data);
    wsmachine::fuzzing::tokenizer_vs(wsmachine::Role::Client, data, head_oracle::tokenize);
});
