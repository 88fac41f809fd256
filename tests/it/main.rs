//! The one integration-test binary: each module tests one area through real processes and HTTP,
//! with the shared [`harness`].

mod apply;
mod bench_smoke;
mod client;
mod emulator;
mod harness;
mod plan;
mod seed;
mod validate;
