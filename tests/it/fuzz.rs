//! The stable-toolchain stand-in for the `cargo fuzz` targets in `fuzz/`: proptest feeds
//! arbitrary bytes and reference-shaped strings to the same entry points (`config::load` on a
//! file, and the reference parser and converters) for a bounded number of seeded cases. Any
//! panic, or a wire value that does not survive the trip through a file value, fails the test,
//! and proptest prints the shrunk input. `PROPTEST_CASES` raises the count.

use std::path::PathBuf;

use proptest::prelude::*;
use railform::{config, refs};

/// Text that is mostly TOML and references, so that cases reach past the parser.
fn config_like() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("project = \"p\"\n".to_string()),
        Just("environment = \"dev\"\n".to_string()),
        Just("extends = \"base.toml\"\n".to_string()),
        Just("[services.api]\n".to_string()),
        Just("[services.api.variables]\n".to_string()),
        Just("[services.db.variables]\nURL = \"u\"\n".to_string()),
        Just("[shared]\n".to_string()),
        Just("renamed_from = [\"old\"]\n".to_string()),
        Just("template = \"postgres\"\n".to_string()),
        Just("A = { generate = \"secret\", length = 8 }\n".to_string()),
        Just("B = { from_env = \"HOME\" }\n".to_string()),
        "[A-Z]{1,3} = \"[$<>{}a-z.: ]{0,20}\"\n",
        "[$<>{}\\[\\]=\"a-z. \n]{0,30}",
    ];
    prop::collection::vec(token, 0..16).prop_map(|parts| parts.concat())
}

/// Strings dense in reference brackets.
fn reference_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("$<<"),
        Just(">>"),
        Just("${{"),
        Just("}}"),
        Just("."),
        Just("shared."),
        Just(" "),
        Just("db"),
        Just("URL"),
        Just("é"),
        Just("\u{0}"),
        Just("<"),
        Just("{"),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|parts| parts.concat())
}

/// Loads `bytes` as `environments/dev.toml` (beside a `base.toml` it may extend).
fn load(bytes: &[u8]) {
    let folder = tempfile::tempdir().expect("temp dir");
    let environments = folder.path().join("environments");
    std::fs::create_dir_all(&environments).expect("folder");
    std::fs::write(environments.join("base.toml"), "[shared]\nBASE = \"1\"\n").expect("base");
    std::fs::write(environments.join("dev.toml"), bytes).expect("write case");
    let _ = config::load(&[PathBuf::from(&environments)]);
}

fn exercise_refs(text: &str) {
    let _ = refs::split(text);
    let _ = refs::parse(text);
    let _ = refs::parse_railway(text);
    let _ = refs::parse_lenient(text);
    let _ = refs::to_railway_syntax(text);
    let _ = refs::rewrite_service(text, "db", "platform-db");
    let _ = refs::render(text, |target| Some(target.to_string()));
    let _ = refs::canonical(text);
    let _ = refs::unchecked(text);
    // Any wire value becomes a file value that parses and means the same.
    let file = refs::to_file_syntax(text, |target| target.var().len() % 2 == 0);
    assert!(refs::parse(&file).is_ok(), "{file:?} from {text:?} does not parse");
    assert_eq!(refs::to_railway_syntax(&file), text, "the round trip of {text:?} through {file:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn loading_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        load(&bytes);
    }

    #[test]
    fn loading_config_like_text_never_panics(text in config_like()) {
        load(text.as_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_reference_parser_never_panics_on_any_string(text in any::<String>()) {
        exercise_refs(&text);
    }

    #[test]
    fn the_reference_parser_never_panics_on_bracket_soup(text in reference_like()) {
        exercise_refs(&text);
    }
}
