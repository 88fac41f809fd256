//! Fuzz target: arbitrary bytes as an environment file (beside a base it may extend), through
//! the whole loader (`config::load`): parse, extends, templates, checks. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(folder) = tempfile::tempdir() else { return };
    let environments = folder.path().join("environments");
    if std::fs::create_dir_all(&environments).is_err()
        || std::fs::write(environments.join("base.toml"), "[shared]\nBASE = \"1\"\n").is_err()
        || std::fs::write(environments.join("dev.toml"), bytes).is_err()
    {
        return;
    }
    let _ = railform::config::load(&[environments]);
});
