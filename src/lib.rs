//! railform keeps a team's Railway infrastructure in plain TOML and converges Railway to it.
//!
//! A tour of the pipeline, in the order data flows through it:
//!
//! ```text
//! config (TOML files) ─▶ model (validated desired state) ─┐
//!                                                          ├─▶ plan::diff (pure) ─▶ Plan ─▶ render
//! railway client ─▶ state (live state) ───────────────────┘                         └─▶ apply ─▶ verify
//! emulator: a local Railway API that the client and the tests talk to over HTTP
//! ```
//!
//! - [`cli`]: clap types (their doc comments are `--help`) and one thin file per command:
//!   arguments → settings → one operation → render.
//! - [`ops`]: the use cases behind the commands (prepare, connect, plan, saved plans, apply,
//!   import, status, preview); they never see clap and never print.
//! - [`diag`]: diagnostics with file:line:column, a snippet and a hint; many per run.
//! - [`config`]: reads environment files (extends, templates) into the validated [`config::model`].
//! - [`refs`]: the `$<<Service.VAR>>` / `${{Service.VAR}}` reference language: parse, print, rewrite.
//! - [`railway`]: the GraphQL client: one generic `send` for every operation in `graphql/`; auth, retries.
//! - [`state`]: live state read through the client (1 + E requests) and normalised for the planner.
//! - [`plan`]: the Plan (changes with their operations) and the pure diff that computes it.
//! - [`apply`]: carries out a plan in order, then verifies.
//! - [`render`]: the only code that prints: results, diagnostics, errors.
//! - [`import`]: a live environment written back as an environment file (templates, refs, no secrets).
//! - [`migrate`]: railway.toml / railway.json files written into environment files, nothing dropped.
//! - [`emulator`]: a local stand-in for Railway's GraphQL API, used by `--emulator` and every test.
//! - [`secret`]: the one type secret values travel in; it never prints.
//! - [`clock`]: Railway's RFC 3339 timestamps, and ages as people read them.
//!
//! Start reading at [`cli::run`], then [`ops::plan::run`].
//!
//! Modules the tests, benchmarks and the binary use are public; the rest are crate-private, so
//! the compiler finds what nothing uses.

pub(crate) mod apply;
pub mod cli;
pub(crate) mod clock;
pub mod config;
pub mod diag;
pub mod emulator;
pub(crate) mod import;
pub(crate) mod migrate;
pub(crate) mod ops;
pub mod plan;
pub mod railway;
pub mod refs;
pub(crate) mod render;
pub mod secret;
pub mod state;
