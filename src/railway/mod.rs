//! The Railway GraphQL client. It owns everything about talking to Railway: the operations
//! (`graphql/*.graphql`, checked against the vendored schema), the token and its header, the one
//! generic [`Client::send`] every call goes through (timeouts, bounded retries, no blind repeat
//! of a create, request counting), typed errors, and thin typed wrappers per operation.
//! It knows nothing about railform's model: [`crate::state`] maps its answers into live state.

mod api;
mod auth;
mod client;
mod error;
pub mod operations;
mod retry;

pub use api::{CreatedProject, IdName, NewEnvironment, NewService, NewVolume, ServiceSource};
pub use auth::{Token, TokenError, API_TOKEN_VAR, PROJECT_TOKEN_VAR};
pub use client::{Client, RequestEvent, RequestObserver, Settings, DEFAULT_ENDPOINT};
pub use error::{ApiError, NOT_AUTHORIZED_HINT};
pub use operations::{Effect, Operation};
pub use retry::{Fault, RetryPolicy, Timeouts};
