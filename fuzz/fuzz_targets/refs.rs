//! Fuzz target: arbitrary text through every entry point of the reference parser (strict,
//! lenient, Railway-only, rewriting, rendering). Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use railform::refs;

fuzz_target!(|text: &str| {
    let _ = refs::split(text);
    let _ = refs::parse(text);
    let _ = refs::parse_railway(text);
    let _ = refs::parse_lenient(text);
    let _ = refs::to_railway_syntax(text);
    let _ = refs::rewrite_service(text, "db", "platform-db");
    let _ = refs::render(text, |target| Some(target.to_string()));
});
