//! Bytes as a trace file: decoded, checked and, when they make a trace, replayed through the
//! model and the protocol crate, as `highwater replay` does with a file from a CI artifact or a
//! user's hands. Every outcome is a verdict or an input error; none is a panic or a hang.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = highwater::ops::replay::replay_text("fuzz input", text);
    }
});
