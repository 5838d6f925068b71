//! Logs and metrics: one logging init for the CLI and the functions ([`logging`]), and the EMF
//! builder that writes the metrics each job declares ([`emf`]), under the names in [`metrics`].

pub mod emf;
pub mod logging;
pub mod metrics;
