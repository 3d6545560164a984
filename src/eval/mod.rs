//! Evaluation: event matching, metrics, corpus runs, sweeps, feature matrices, reports.

pub mod metrics;
