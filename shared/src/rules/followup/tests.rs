use chrono::{NaiveTime, TimeZone, Weekday};

use super::*;
use crate::domain::outcome::OutcomeClass;
use crate::inventory::BusinessHours;
use crate::notify::annotations::Step;
use crate::notify::delivery::{Decision, DecisionKind, Delivery};
use crate::notify::fixtures::auth;
use crate::notify::notification::{Notification, NotificationId};
use crate::rules::delivery::{first_claim, held};

/// Monday 2026-11-30 14:00 UTC (09:00 in New York).
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap()
}

fn mins(m: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(m)
}

fn incident(severity: Severity) -> OpenIncident {
    OpenIncident {
        check: CheckKind::Auth,
        class: IncidentClass::Outcome(OutcomeClass::ClientAuthFailed),
        severity,
        since: t0(),
        acknowledged: false,
    }
}

fn rules(calendar: &Calendar) -> FollowUpRules<'_> {
    FollowUpRules {
        remind_after: &[],
        remind_max: None,
        escalate_after: None,
        calendar,
    }
}

fn reminder(n: u32, due: DateTime<Utc>) -> FollowUp {
    FollowUp::Reminder(Reminder { n, due })
}

#[test]
fn subjects_by_check_and_class() {
    let failing = IncidentClass::Outcome(OutcomeClass::ClientAuthFailed);
    assert_eq!(subject(CheckKind::Auth, failing), Subject::Failure);
    assert_eq!(
        subject(CheckKind::Monitor, IncidentClass::NotProbed),
        Subject::Failure
    );
    assert_eq!(
        subject(CheckKind::Expiry, IncidentClass::SecretExpiring),
        Subject::ExpiryWarning
    );
    assert_eq!(
        subject(CheckKind::Expiry, IncidentClass::ExpiryUnknown),
        Subject::ExpiryWarning
    );
    assert_eq!(
        subject(CheckKind::Expiry, IncidentClass::SecretExpired),
        Subject::Expired
    );
}

#[test]
fn high_reminders_come_on_the_documented_schedule_and_a_missed_one_is_not_a_burst() {
    let cal = Calendar::always_open();
    let high = incident(Severity::High);
    let none = Ledger::default();
    assert_eq!(
        follow_ups(&high, &none, &rules(&cal), mins(59)),
        (vec![], Some(mins(60)))
    );
    assert_eq!(
        follow_ups(&high, &none, &rules(&cal), mins(60)),
        (vec![reminder(1, mins(60))], Some(mins(300)))
    );
    // Reminders 1 and 2 both overdue: one message, numbered 2; next is 3 at +17h.
    assert_eq!(
        follow_ups(&high, &none, &rules(&cal), mins(360)),
        (vec![reminder(2, mins(300))], Some(mins(17 * 60)))
    );
    let reminded = Ledger {
        reminded: 2,
        ..Ledger::default()
    };
    assert_eq!(
        follow_ups(&high, &reminded, &rules(&cal), mins(360)),
        (vec![], Some(mins(17 * 60)))
    );
}

#[test]
fn a_message_told_after_reminders_fell_due_covers_them() {
    let cal = Calendar::always_open();
    let high = incident(Severity::High);
    let told = Ledger {
        last_told: Some(mins(90)),
        ..Ledger::default()
    };
    assert_eq!(
        follow_ups(&high, &told, &rules(&cal), mins(120)),
        (vec![], Some(mins(300)))
    );
    // A message from an earlier schedule (before the class change) covers nothing.
    let before = Ledger {
        last_told: Some(t0() - TimeDelta::hours(10)),
        ..Ledger::default()
    };
    assert_eq!(
        follow_ups(&high, &before, &rules(&cal), mins(60)).0,
        vec![reminder(1, mins(60))]
    );
}

#[test]
fn acknowledged_incidents_get_neither_reminders_nor_escalation() {
    let cal = Calendar::always_open();
    let mut taken = incident(Severity::Critical);
    taken.acknowledged = true;
    let mut team = rules(&cal);
    team.escalate_after = Some(TimeDelta::minutes(30));
    assert_eq!(
        follow_ups(&taken, &Ledger::default(), &team, mins(24 * 60)),
        (vec![], None)
    );
}

#[test]
fn escalation_once_after_escalate_after_critical_on_the_clock_others_in_business_hours() {
    let office = Calendar::new(
        Some("America/New_York"),
        Some(BusinessHours {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        }),
    )
    .unwrap();
    let mut team = rules(&office);
    team.escalate_after = Some(TimeDelta::hours(10));
    team.remind_max = Some(0);
    let critical = incident(Severity::Critical);
    assert_eq!(
        follow_ups(&critical, &Ledger::default(), &team, mins(600)).0,
        vec![FollowUp::Escalation]
    );
    let escalated = Ledger {
        escalated: true,
        ..Ledger::default()
    };
    assert_eq!(
        follow_ups(&critical, &escalated, &team, mins(600)),
        (vec![], None)
    );
    // High: 8 business hours on Monday, 2 more on Tuesday from 09:00 New York (14:00 UTC).
    let high = incident(Severity::High);
    let due = Utc.with_ymd_and_hms(2026, 12, 1, 16, 0, 0).unwrap();
    assert_eq!(
        follow_ups(&high, &Ledger::default(), &team, mins(600)),
        (vec![], Some(due))
    );
    assert_eq!(
        follow_ups(&high, &Ledger::default(), &team, due).0,
        vec![FollowUp::Escalation]
    );
}

#[test]
fn the_team_s_own_intervals_and_cap_apply() {
    let cal = Calendar::always_open();
    let own = [TimeDelta::minutes(10), TimeDelta::minutes(20)];
    let team = FollowUpRules {
        remind_after: &own,
        remind_max: Some(3),
        escalate_after: None,
        calendar: &cal,
    };
    let low = incident(Severity::Low);
    assert_eq!(
        follow_ups(&low, &Ledger::default(), &team, mins(10)),
        (vec![reminder(1, mins(10))], Some(mins(30)))
    );
    let third = Ledger {
        reminded: 2,
        ..Ledger::default()
    };
    assert_eq!(
        follow_ups(&low, &third, &team, mins(50)),
        (vec![reminder(3, mins(50))], None),
        "the cap: nothing after the third"
    );
    let capped = Ledger {
        reminded: 3,
        ..Ledger::default()
    };
    assert_eq!(
        follow_ups(&low, &capped, &team, mins(10_000)),
        (vec![], None)
    );
}

#[test]
fn expiry_warnings_are_not_reminded_and_expired_secrets_daily() {
    let cal = Calendar::always_open();
    let mut warning = incident(Severity::Medium);
    warning.check = CheckKind::Expiry;
    warning.class = IncidentClass::SecretExpiring;
    assert_eq!(
        follow_ups(
            &warning,
            &Ledger::default(),
            &rules(&cal),
            mins(10 * 24 * 60)
        ),
        (vec![], None)
    );
    warning.class = IncidentClass::SecretExpired;
    warning.severity = Severity::Critical;
    assert_eq!(
        follow_ups(&warning, &Ledger::default(), &rules(&cal), mins(24 * 60)),
        (vec![reminder(1, mins(24 * 60))], Some(mins(48 * 60)))
    );
}

fn record(event: Event, team: &str, step: Option<Step>, delivery: Delivery) -> NotificationRecord {
    let incident = auth();
    let id = NotificationId::at(
        &incident.id,
        event,
        delivery.next_attempt_at.unwrap_or(t0()),
    );
    let mut notification = Notification::about(id, event, &incident, None, None, t0());
    notification.team = team.to_string();
    notification.step = step;
    NotificationRecord {
        notification,
        created_at: t0(),
        delivery,
        slack: None,
    }
}

#[test]
fn the_ledger_counts_the_current_schedule_and_what_the_owner_was_told() {
    let since = t0();
    let step = |n| Some(Step { n, since });
    let old = Some(Step {
        n: 9,
        since: t0() - TimeDelta::days(1),
    });
    let mut sent = first_claim(mins(5));
    sent.state = crate::notify::delivery::DeliveryState::Sent;
    sent.next_attempt_at = None;
    sent.finished_at = Some(mins(6));
    sent.message_id = Some("m".into());
    let parked = held(
        mins(600),
        Decision::new(DecisionKind::Defer, mins(70), Some(mins(600)), "night"),
    );
    let records = vec![
        record(Event::Reminder, "crm-ops", step(2), parked.clone()),
        record(Event::Reminder, "crm-ops", old, sent.clone()),
        record(Event::Escalated, "backup", step(1), parked.clone()),
        record(Event::Opened, "crm-ops", None, sent.clone()),
        record(Event::Opened, "backup", None, first_claim(mins(400))),
    ];
    assert_eq!(
        Ledger::of(&records, since, "crm-ops"),
        Ledger {
            reminded: 2,
            escalated: true,
            last_told: Some(mins(6)),
        }
    );
    let pending = vec![record(
        Event::Opened,
        "crm-ops",
        None,
        first_claim(mins(30)),
    )];
    assert_eq!(
        Ledger::of(&pending, since, "crm-ops").last_told,
        Some(t0()),
        "a pending one counts from when it was queued (recorded)"
    );
}
