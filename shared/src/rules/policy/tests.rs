use chrono::{NaiveTime, TimeDelta, TimeZone, Weekday};

use super::*;
use crate::inventory::BusinessHours;
use crate::notify::delivery::{Decision, NotificationRecord};
use crate::notify::fixtures::{self, auth};
use crate::notify::notification::Notification;
use crate::rules::delivery::{first_claim, held};

/// Mon-Fri 09:00-17:00 in New York.
fn office() -> Calendar {
    Calendar::new(
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
    .unwrap()
}

/// Tuesday 2026-12-01, `h`:`m` UTC (New York is UTC-5 in December).
fn tue(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0).unwrap()
}

fn silence(until: DateTime<Utc>) -> Hold {
    Hold {
        kind: HoldKind::Silenced,
        until,
        reason: "silence sil-aaaaaaaaaa (deploy) by ana".to_string(),
    }
}

#[test]
fn a_silence_in_force_suppresses_every_severity_until_it_ends() {
    let at = tue(15, 0); // 10:00 in New York: open
    for severity in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ] {
        let hold = silence(tue(16, 0));
        assert_eq!(
            verdict(severity, &office(), Some(&hold), at),
            Verdict::Suppress(hold.clone()),
            "{severity:?}"
        );
    }
}

#[test]
fn a_silence_that_has_ended_holds_nothing() {
    let at = tue(15, 0);
    assert_eq!(
        verdict(Severity::High, &office(), Some(&silence(at)), at),
        Verdict::Send
    );
    assert_eq!(
        verdict(Severity::High, &office(), Some(&silence(tue(14, 0))), at),
        Verdict::Send
    );
}

#[test]
fn outside_business_hours_critical_goes_at_once_and_the_rest_waits_for_the_morning() {
    let night = tue(4, 0); // 23:00 Monday in New York
    assert_eq!(
        verdict(Severity::Critical, &office(), None, night),
        Verdict::Send
    );
    for severity in [Severity::High, Severity::Medium, Severity::Low] {
        assert_eq!(
            verdict(severity, &office(), None, night),
            Verdict::Defer {
                until: tue(14, 0), // 09:00 Tuesday in New York
                local: "Tue 09:00 America/New_York".to_string(),
            },
            "{severity:?}"
        );
    }
    // Exactly at opening and inside: sent; exactly at closing: deferred to the next day.
    assert_eq!(
        verdict(Severity::Low, &office(), None, tue(14, 0)),
        Verdict::Send
    );
    assert_eq!(
        verdict(Severity::Low, &office(), None, tue(21, 59)),
        Verdict::Send
    );
    assert_eq!(
        verdict(Severity::Low, &office(), None, tue(22, 0)),
        Verdict::Defer {
            until: Utc.with_ymd_and_hms(2026, 12, 2, 14, 0, 0).unwrap(),
            local: "Wed 09:00 America/New_York".to_string(),
        }
    );
    assert_eq!(
        verdict(Severity::Low, &Calendar::always_open(), None, night),
        Verdict::Send
    );
}

#[test]
fn business_hours_that_never_come_do_not_hold_a_notification_forever() {
    let never = Calendar::new(
        None,
        Some(BusinessHours {
            days: vec![],
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        }),
    )
    .unwrap();
    assert_eq!(
        verdict(Severity::Low, &never, None, tue(4, 0)),
        Verdict::Send
    );
}

#[test]
fn verdicts_become_decisions_that_say_what_held_them() {
    let at = tue(4, 0);
    let defer = Verdict::Defer {
        until: tue(14, 0),
        local: "Tue 09:00 America/New_York".to_string(),
    }
    .decision("crm", at);
    assert_eq!(defer.kind, DecisionKind::Defer);
    assert_eq!(defer.until, Some(tue(14, 0)));
    assert_eq!(defer.hold, Some(HoldKind::Deferred));
    assert!(
        defer.reason.contains("business hours of team crm"),
        "{}",
        defer.reason
    );
    assert!(
        defer.reason.contains("2026-12-01 14:00 UTC"),
        "{}",
        defer.reason
    );
    let mut window = silence(tue(6, 0));
    window.kind = HoldKind::Maintenance;
    let suppress = Verdict::Suppress(window).decision("crm", at);
    assert_eq!(suppress.kind, DecisionKind::Suppress);
    assert_eq!(suppress.hold, Some(HoldKind::Maintenance));
    assert!(
        suppress.reason.starts_with("silence sil-aaaaaaaaaa"),
        "{}",
        suppress.reason
    );
    let send = Verdict::Send.decision("crm", at);
    assert_eq!(
        (send.kind, send.until, send.hold),
        (DecisionKind::Send, None, None)
    );
}

fn routing<'a>(
    calendar: &'a Calendar,
    esc: Option<&'a str>,
    after: Option<&'a str>,
) -> Routing<'a> {
    Routing {
        owner: "crm",
        owner_calendar: calendar,
        escalate_to: esc,
        after_hours_to: after,
    }
}

fn teams(list: &[Recipient]) -> Vec<(&str, Option<Role>)> {
    list.iter()
        .map(|r| (r.team.as_str(), r.on_behalf_of.as_ref().map(|o| o.role)))
        .collect()
}

#[test]
fn recipients_are_the_owner_then_escalation_then_after_hours_each_once() {
    let cal = office();
    let day = tue(15, 0);
    let night = tue(4, 0);
    let both = routing(&cal, Some("backup"), Some("noc"));
    assert_eq!(
        teams(&recipients(Event::Opened, Severity::High, &both, night)),
        vec![("crm", None)]
    );
    assert_eq!(
        teams(&recipients(Event::Escalated, Severity::High, &both, day)),
        vec![("crm", None), ("backup", Some(Role::Escalation))]
    );
    assert_eq!(
        teams(&recipients(Event::Opened, Severity::Critical, &both, day)),
        vec![("crm", None)]
    );
    assert_eq!(
        teams(&recipients(Event::Opened, Severity::Critical, &both, night)),
        vec![("crm", None), ("noc", Some(Role::AfterHours))]
    );
    assert_eq!(
        teams(&recipients(
            Event::Escalated,
            Severity::Critical,
            &both,
            night
        )),
        vec![
            ("crm", None),
            ("backup", Some(Role::Escalation)),
            ("noc", Some(Role::AfterHours))
        ]
    );
    let same = routing(&cal, Some("backup"), Some("backup"));
    assert_eq!(
        teams(&recipients(
            Event::Escalated,
            Severity::Critical,
            &same,
            night
        )),
        vec![("crm", None), ("backup", Some(Role::Escalation))]
    );
    let own = routing(&cal, Some("crm"), Some("crm"));
    assert_eq!(
        teams(&recipients(
            Event::Escalated,
            Severity::Critical,
            &own,
            night
        )),
        vec![("crm", None)]
    );
    let copy = &recipients(Event::Escalated, Severity::High, &both, day)[1];
    assert_eq!(copy.on_behalf_of.as_ref().unwrap().owner, "crm");
}

/// A record of `event` about the auth fixture, recorded at `at` and held by `hold`.
fn held_record(event: Event, at: DateTime<Utc>, hold: HoldKind) -> NotificationRecord {
    let incident = auth();
    let id = NotificationId::at(&incident.id, event, at);
    let notification = Notification::about(id, event, &incident, None, None, fixtures::opened_at());
    let kind = if hold == HoldKind::Deferred {
        DecisionKind::Defer
    } else {
        DecisionKind::Suppress
    };
    let decision = Decision::new(kind, at, Some(tue(14, 0)), format!("held at {at}")).held_by(hold);
    NotificationRecord {
        notification,
        created_at: at,
        delivery: held(tue(14, 0), decision),
        slack: None,
    }
}

fn kinds(out: &[(NotificationId, Release)]) -> Vec<&'static str> {
    out.iter()
        .map(|(_, r)| match r {
            Release::Send(_) => "send",
            Release::Supersede(_) => "supersede",
            Release::Hold(_) => "hold",
        })
        .collect()
}

#[test]
fn still_held_when_the_verdict_of_now_holds() {
    let a = held_record(Event::Opened, tue(4, 0), HoldKind::Deferred);
    let later = Verdict::Defer {
        until: tue(15, 0),
        local: String::new(),
    };
    let out = release(&[&a], Some(&auth()), false, &later, tue(14, 0));
    assert_eq!(out, vec![(a.id().clone(), Release::Hold(later))]);
}

#[test]
fn a_team_never_told_gets_the_opening_once_and_nothing_else_held_with_it() {
    let opened = held_record(Event::Opened, tue(4, 0), HoldKind::Deferred);
    let reminder = held_record(Event::Reminder, tue(5, 0), HoldKind::Deferred);
    let changed = held_record(Event::Changed, tue(6, 0), HoldKind::Deferred);
    let out = release(
        &[&opened, &reminder, &changed],
        Some(&auth()),
        false,
        &Verdict::Send,
        tue(14, 0),
    );
    assert_eq!(kinds(&out), vec!["send", "supersede", "supersede"]);
    let Release::Send(note) = &out[0].1 else {
        panic!()
    };
    assert_eq!(note.kind, HoldKind::Deferred);
    assert_eq!(note.since, tue(4, 0), "since the first hold");
    let Release::Supersede(why) = &out[1].1 else {
        panic!()
    };
    assert!(why.contains(opened.id().as_str()), "{why}");
}

#[test]
fn a_team_already_told_gets_the_latest_news_not_a_burst_of_reminders() {
    let r1 = held_record(Event::Reminder, tue(4, 0), HoldKind::Silenced);
    let r2 = held_record(Event::Reminder, tue(5, 0), HoldKind::Silenced);
    let out = release(&[&r1, &r2], Some(&auth()), true, &Verdict::Send, tue(14, 0));
    assert_eq!(kinds(&out), vec!["supersede", "send"]);
    let changed = held_record(Event::Changed, tue(4, 30), HoldKind::Silenced);
    let out = release(
        &[&r1, &changed, &r2],
        Some(&auth()),
        true,
        &Verdict::Send,
        tue(14, 0),
    );
    assert_eq!(kinds(&out), vec!["supersede", "send", "supersede"]);
    // Told before: an opened among them is not preferred over what came after.
    let opened = held_record(Event::Opened, tue(3, 0), HoldKind::Silenced);
    let out = release(
        &[&opened, &changed],
        Some(&auth()),
        true,
        &Verdict::Send,
        tue(14, 0),
    );
    assert_eq!(kinds(&out), vec!["supersede", "send"]);
}

#[test]
fn a_resolve_is_told_when_the_team_knew_or_was_only_asleep_and_never_after_a_silence() {
    let (closed, _) = fixtures::resolved(&auth());
    for (hold, told, want) in [
        (HoldKind::Silenced, true, vec!["supersede", "send"]),
        (HoldKind::Maintenance, true, vec!["supersede", "send"]),
        (HoldKind::Deferred, true, vec!["supersede", "send"]),
        (HoldKind::Deferred, false, vec!["supersede", "send"]),
        (HoldKind::Silenced, false, vec!["supersede", "supersede"]),
        (HoldKind::Maintenance, false, vec!["supersede", "supersede"]),
    ] {
        let opened = held_record(Event::Opened, tue(4, 0), hold);
        let resolved = held_record(Event::Resolved, tue(5, 0), hold);
        let out = release(
            &[&opened, &resolved],
            Some(&closed),
            told,
            &Verdict::Send,
            tue(14, 0),
        );
        assert_eq!(kinds(&out), want, "{hold:?} told={told}");
    }
    let reminder = held_record(Event::Reminder, tue(4, 0), HoldKind::Silenced);
    for incident in [Some(&closed), None] {
        let out = release(&[&reminder], incident, true, &Verdict::Send, tue(14, 0));
        assert_eq!(kinds(&out), vec!["supersede"]);
        let Release::Supersede(why) = &out[0].1 else {
            panic!()
        };
        assert!(why.contains("resolve"), "{why}");
    }
}

#[test]
fn the_note_names_the_first_hold_and_its_kind() {
    let mut a = held_record(Event::Opened, tue(5, 0), HoldKind::Deferred);
    let b = held_record(Event::Reminder, tue(4, 0), HoldKind::Maintenance);
    a.delivery.decisions.push(Decision::new(
        DecisionKind::Defer,
        tue(6, 0),
        Some(tue(14, 0)),
        "again",
    ));
    let note = held_note(&[&a, &b], tue(14, 0));
    assert_eq!(
        (note.kind, note.since, note.reason.as_str()),
        (
            HoldKind::Maintenance,
            tue(4, 0),
            "held at 2026-12-01 04:00:00 UTC"
        )
    );
    // Nothing on record: a plain deferral at `now`.
    let mut plain = a.clone();
    plain.delivery = first_claim(tue(3, 0));
    let note = held_note(&[&plain], tue(14, 0));
    assert_eq!((note.kind, note.since), (HoldKind::Deferred, tue(14, 0)));
    let _ = TimeDelta::zero();
}

/// An ack given while a reminder and an escalation were held (deferred overnight) stops them:
/// superseded, saying who took it; a `changed` held with them is still told. Found by the
/// property tests (tests/tests/operations_props.rs): an escalation deferred to the escalation
/// team's morning went out days after the incident was acknowledged.
#[test]
fn held_reminders_and_escalations_of_an_incident_acknowledged_meanwhile_are_superseded() {
    let mut taken = auth();
    taken.ack =
        Some(crate::domain::incident::Acknowledgement::new("ana", None, tue(6, 0)).unwrap());
    assert!(taken.is_acknowledged());
    let reminder = held_record(Event::Reminder, tue(4, 0), HoldKind::Deferred);
    let escalated = held_record(Event::Escalated, tue(5, 0), HoldKind::Deferred);
    let out = release(
        &[&reminder, &escalated],
        Some(&taken),
        true,
        &Verdict::Send,
        tue(14, 0),
    );
    assert_eq!(kinds(&out), vec!["supersede", "supersede"]);
    let Release::Supersede(why) = &out[1].1 else {
        panic!()
    };
    assert!(
        why.contains("acknowledged by ana at 2026-12-01 06:00 UTC"),
        "{why}"
    );
    // Still held by a later verdict: superseded all the same (nothing left to tell).
    let later = Verdict::Defer {
        until: tue(15, 0),
        local: String::new(),
    };
    let out = release(&[&reminder], Some(&taken), true, &later, tue(14, 0));
    assert_eq!(kinds(&out), vec!["supersede"]);
    // What is not a follow-up is released as before, in the order given.
    let changed = held_record(Event::Changed, tue(4, 30), HoldKind::Deferred);
    let out = release(
        &[&reminder, &changed, &escalated],
        Some(&taken),
        true,
        &Verdict::Send,
        tue(14, 0),
    );
    assert_eq!(kinds(&out), vec!["supersede", "send", "supersede"]);
    assert_eq!(out[1].0, *changed.id());
    // Not acknowledged: the latest reminder is told, as before.
    let out = release(
        &[&reminder],
        Some(&auth()),
        true,
        &Verdict::Send,
        tue(14, 0),
    );
    assert_eq!(kinds(&out), vec!["send"]);
}
