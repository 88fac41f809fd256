//! Carrying out a plan: ordered writes, then verification.

pub mod values;
