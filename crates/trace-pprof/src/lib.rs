//! Blocking profiles from Go execution traces (not yet implemented).
//!
//! This layer will compute the net, sync, syscall and sched profiles that
//! `go tool trace -pprof=TYPE` prints, on top of `trace-model`, and write them as gzipped
//! profile.proto. It is a documented skeleton until that work lands.

#![forbid(unsafe_code)]

pub use trace_format as format;
