//! Passive tracking's pattern rules (CONTRACT STUB on p13-base: H3 replaces every body).
#![allow(missing_docs, unused_variables)]

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::incident::{Incident, IncidentChange};
use crate::domain::outcome::OutcomeClass;
use crate::domain::passive::{MinuteCounts, PassiveState, SfmcCall};
use crate::domain::state::Health;
use crate::inventory::Integration;

pub const LOOKBACK: TimeDelta = TimeDelta::hours(2);

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProbeView {
    pub health: Health,
    pub last_class: Option<OutcomeClass>,
    pub last_probe_at: Option<DateTime<Utc>>,
    pub missing_scopes: Vec<String>,
}

pub struct PassiveInputs<'a> {
    pub now: DateTime<Utc>,
    pub integration: &'a Integration,
    pub minutes: &'a [MinuteCounts],
    pub batch: &'a [SfmcCall],
    pub state: &'a PassiveState,
    pub probe: &'a ProbeView,
    pub open: &'a [Incident],
}

#[derive(Debug, Clone, PartialEq)]
pub struct PassiveDecision {
    pub state: PassiveState,
    pub changes: Vec<IncidentChange>,
    pub probe_now: bool,
}

pub fn evaluate(inputs: &PassiveInputs) -> PassiveDecision {
    unimplemented!("H3")
}
