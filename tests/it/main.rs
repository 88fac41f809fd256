//! railform's integration tests: one binary, one module per area.

mod client;
mod validate;
