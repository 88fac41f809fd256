//! The use cases behind the commands, one module each: plain settings in, a result out. They
//! never see clap and never print; what a person must see while they run (progress, a question)
//! goes through hook traits that `cli` implements with `render`.
//!
//! - [`prepare`]: files → validated model + the secrets it reads (process environment, `--env-file`).
//! - [`session`]: the client (or the in-process emulator) and the concurrent live-state read.
//! - [`plan`]: prepare, read, diff; save the plan for `apply --plan`.
//! - [`saved`]: the saved-plan document, and the check that it still equals a fresh plan.
//! - [`apply`]: plan (or a saved plan), review, execute, verify.
//! - [`import`]: a live environment written as files (`--base` layering).
//! - [`status`]: each declared service's latest deployment and public URL.
//! - [`migrate`]: railway.toml / railway.json files written into environment files.
//! - [`preview`]: ephemeral environments for pull requests: up, down, list, prune.
//! - [`files`]: the one atomic file write; [`duration`]: `15m`, `7d`.

pub mod apply;
pub mod duration;
pub mod files;
pub mod import;
pub mod migrate;
pub mod plan;
pub mod prepare;
pub mod preview;
pub mod saved;
pub mod session;
pub mod status;

use crate::diag::Diagnostic;

/// Why an operation did not produce its result.
#[derive(Debug)]
pub enum OpError {
    /// The files are invalid: every diagnostic, each with its location (nothing was sent).
    Invalid(Vec<Diagnostic>),
    /// Anything else, with its chain of causes.
    Failed(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for OpError {
    fn from(error: E) -> Self {
        OpError::Failed(error.into())
    }
}

/// The result of an operation.
pub type OpResult<T> = Result<T, OpError>;
