//! The one integration-test binary: each module tests one area through real processes and HTTP,
//! with the shared [`harness`].

mod apply;
mod client;
mod crashes;
mod emulator;
mod faults;
mod harness;
mod plan;
mod seed;
mod validate;
