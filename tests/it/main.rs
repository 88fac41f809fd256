//! The one integration-test binary: each module tests one area through real processes and HTTP,
//! with the shared [`harness`].

mod apply;
mod bench_smoke;
mod client;
mod concurrency;
mod crashes;
mod deployments;
mod emulator;
mod faults;
mod fuzz;
mod hardening;
mod harness;
mod hostile;
mod import;
mod migrate;
mod newcomer;
mod patches;
mod plan;
mod preview_cli;
mod previews;
mod references;
mod rollout;
mod secrets;
mod seed;
mod settings;
mod settings_config;
mod staged;
mod status;
mod tampering;
mod validate;
