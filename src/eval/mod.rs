//! Evaluation: event matching, metrics, corpus runs, sweeps, feature matrices, reports, and
//! training of the gunshot second stage ([`train`]).

pub mod corpus;
pub mod features;
pub mod metrics;
pub mod report;
pub mod sweep;
pub mod train;
