//! Evaluation: event matching, metrics, corpus runs, sweeps, feature matrices, reports.

pub mod corpus;
pub mod features;
pub mod metrics;
pub mod report;
pub mod sweep;
