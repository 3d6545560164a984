//! The trigger engine: detector events and external inputs -> recording decisions under an
//! agency policy, with a tamper-evident audit log.
