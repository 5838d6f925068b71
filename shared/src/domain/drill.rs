//! The drill incident: a clearly marked test of one team's alert route (`credwatch drill`, and
//! the weekly drill schedule). It travels the real path (the table, its stream, the fan-out,
//! SNS, the subscriptions, Slack) and is told as one `drill` message.
//!
//! **How a drill is marked.** Its class is [`IncidentClass::Drill`] (stored as `drill`) and its
//! integration part is `drill.{team}`: the `.` cannot occur in an inventory id
//! (`[a-z0-9][a-z0-9-]{0,63}`), so a drill never shares an id, a partition or a count with a
//! real integration. Its check is `monitor` (credwatch testing its own alerting) and its number
//! [`STANDALONE_SEQ`]: each drill opens again under the same id (a resolved one is replaced),
//! so the table holds at most one drill incident per team; every drill's notification keeps its
//! own id (`{incident}/drill@{opened_at}`).

use chrono::{DateTime, Utc};

use crate::domain::incident::{CheckKind, Incident, IncidentClass, IncidentId, STANDALONE_SEQ};
use crate::domain::severity::Severity;

/// The integration part of a drill incident's id: `drill.` then the team's id.
pub const DRILL_INTEGRATION_PREFIX: &str = "drill.";

/// The id of team `team`'s drill incident: `drill.{team}:monitor:0`.
pub fn drill_incident_id(team: &str) -> IncidentId {
    IncidentId::new(
        &format!("{DRILL_INTEGRATION_PREFIX}{team}"),
        CheckKind::Monitor,
        STANDALONE_SEQ,
    )
}

impl Incident {
    /// A new drill of `team` opened at `now`, owned by that team. Its severity is `critical`:
    /// the one severity every team subscription's filter policy admits, whatever the team's
    /// `min_severity` (`rules::subscriptions::severities_at_least` always includes it), so the
    /// drill reaches every address the team has. The fan-out never treats it as a critical
    /// incident: see `rules::drill`.
    pub fn drill(team: &str, now: DateTime<Utc>) -> Incident {
        let id = drill_incident_id(team);
        Incident {
            integration: id.integration().to_string(),
            id,
            check: CheckKind::Monitor,
            class: IncidentClass::Drill,
            severity: Severity::Critical,
            team: team.to_string(),
            open: true,
            opened_at: now,
            updated_at: now,
            resolved_at: None,
            threshold_days: None,
            message: "DRILL: no action needed. A test of this team's alert route: nothing is \
                      wrong."
                .to_string(),
            http_status: None,
            class_since: None,
            ack: None,
        }
    }

    /// Whether this is a drill (class [`IncidentClass::Drill`]), not a real incident.
    pub fn is_drill(&self) -> bool {
        self.class == IncidentClass::Drill
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        "2026-12-01T09:00:00Z".parse().expect("a fixed time")
    }

    #[test]
    fn a_drill_is_owned_by_its_team_and_marked() {
        let drill = Incident::drill("crm-ops", at());
        assert_eq!(drill.id, "drill.crm-ops:monitor:0");
        assert_eq!(drill.integration, "drill.crm-ops");
        assert_eq!(drill.team, "crm-ops");
        assert_eq!(drill.class, IncidentClass::Drill);
        assert_eq!(drill.class.as_str(), "drill");
        assert_eq!(drill.severity, Severity::Critical);
        assert!(drill.open && drill.is_drill());
        assert!(drill.message.starts_with("DRILL: no action needed"));
        assert_eq!(
            drill.id.to_string().parse::<IncidentId>(),
            Ok(drill.id.clone())
        );
    }

    #[test]
    fn the_drill_class_reads_back_and_real_classes_are_not_drills() {
        assert_eq!(IncidentClass::parse("drill"), Some(IncidentClass::Drill));
        let mut real = Incident::drill("crm-ops", at());
        real.class = IncidentClass::CorruptItem;
        assert!(!real.is_drill());
    }

    #[test]
    fn no_inventory_id_can_be_a_drills_integration() {
        // Inventory ids are [a-z0-9][a-z0-9-]{0,63}: never a `.`.
        assert!(
            !crate::inventory::is_valid_id(drill_incident_id("crm-ops").integration()),
            "a drill's integration part must not be a valid inventory id"
        );
    }
}
