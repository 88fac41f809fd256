//! Environment files → the validated desired state ([`model::Model`]).
