//! A simulated week of alert operations (issue 11): team crm in America/New_York (business
//! hours Mon-Fri 09:00-17:00, escalating to emea after 2 business hours, critical alerts after
//! hours also to noc), team emea in Europe/Berlin (Mon-Fri 08:00-18:00), team noc around the
//! clock. The week runs from Friday 2026-10-30 00:00 to Friday 2026-11-06 23:59 New York time
//! and spans New York's fall back (Sunday 2026-11-01 02:00 EDT -> 01:00 EST; Berlin fell back on
//! 2026-10-25) and a weekend. Every minute the stream batch and the sweep run in process; the
//! exact messages each team received are asserted.
//!
//! `CREDWATCH_PRINT_WEEK=1 cargo test --workspace --test week -- --nocapture` prints the week as
//! a markdown table.
//!
//! Local times used below (UTC offsets): New York is UTC-4 (EDT) until Sunday 06:00 UTC, then
//! UTC-5 (EST): crm works Friday 13:00-21:00 UTC, then Monday to Friday 14:00-22:00 UTC. Berlin
//! is UTC+1 (CET) all week: emea works 07:00-17:00 UTC.

#[path = "operations/driver.rs"]
mod driver;

use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Utc, Weekday};
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::severity::Severity;
use credwatch::domain::silence::{MatchField, Matcher, Silence};
use credwatch::inventory::{BusinessHours, MaintenanceWindow};
use credwatch::store::Silences;

use driver::{Sent, World, incident, integration, team};

/// `2026-MM-DD HH:MM` UTC.
fn utc(month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, minute, 0)
        .single()
        .expect("a valid UTC time")
}

fn hours(days: &[Weekday], start: u32, end: u32) -> BusinessHours {
    BusinessHours {
        days: days.to_vec(),
        start: NaiveTime::from_hms_opt(start, 0, 0).expect("an hour"),
        end: NaiveTime::from_hms_opt(end, 0, 0).expect("an hour"),
    }
}

const WEEKDAYS: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

/// Thursdays 14:00-15:00 in the owner's time zone (New York: 19:00-20:00 UTC).
fn thursday_maintenance() -> MaintenanceWindow {
    MaintenanceWindow {
        days: vec![Weekday::Thu],
        start: NaiveTime::from_hms_opt(14, 0, 0).expect("14:00"),
        duration: Duration::from_secs(3600),
        timezone: None,
    }
}

/// Runs the week and returns every message published, in order.
async fn the_week() -> Vec<Sent> {
    let mut crm = team("crm");
    crm.timezone = Some("America/New_York".to_string());
    crm.business_hours = Some(hours(&WEEKDAYS, 9, 17));
    crm.escalate_after = Some(Duration::from_secs(2 * 3600));
    crm.escalate_to = Some("emea".to_string());
    crm.after_hours_to = Some("noc".to_string());
    let mut emea = team("emea");
    emea.timezone = Some("Europe/Berlin".to_string());
    emea.business_hours = Some(hours(&WEEKDAYS, 8, 18));
    let noc = team("noc");

    let mut integrations = vec![
        integration("crm-contacts", "crm", Severity::High),
        integration("crm-orders", "crm", Severity::Critical),
        integration("crm-leads", "crm", Severity::Medium),
        integration("emea-billing", "emea", Severity::High),
        integration("crm-sync", "crm", Severity::High),
        integration("emea-sync", "emea", Severity::High),
        integration("crm-survey", "crm", Severity::High),
        integration("crm-quiz", "crm", Severity::High),
        integration("crm-loyalty", "crm", Severity::High),
        integration("crm-rewards", "crm", Severity::High),
    ];
    for n in 1..=4 {
        integrations.push(integration(&format!("crm-feed-{n}"), "crm", Severity::High));
    }
    for shared in integrations.iter_mut().filter(|i| i.id.ends_with("-sync")) {
        shared.client_id = "client-shared-sync".to_string();
    }
    for planned in integrations
        .iter_mut()
        .filter(|i| i.id == "crm-loyalty" || i.id == "crm-rewards")
    {
        planned.maintenance = vec![thursday_maintenance()];
    }

    // Friday 00:00 EDT to Friday 23:59 EST.
    let start = utc(10, 30, 4, 0);
    let end = utc(11, 7, 4, 59);
    let mut world = World::new(&[crm, emea, noc], &integrations, start).await;
    // Thursday 10:00-12:00 EST: planned work on everything crm owns.
    let silence = Silence::new(
        "sil-weekcrmabc".parse().expect("a valid silence id"),
        vec![Matcher::new(MatchField::Team, "crm").expect("a valid matcher")],
        utc(11, 5, 15, 0),
        utc(11, 5, 17, 0),
        "SFMC release window, ticket CHG-2211".to_string(),
        "dana@example.com".to_string(),
        start,
    )
    .expect("a valid silence");
    world
        .store
        .put_silence(&silence)
        .await
        .expect("the memory store keeps silences");

    use OutcomeClass::*;
    let high = |id: &str, seq: u32, owner: &str, class: OutcomeClass, at: DateTime<Utc>| {
        incident(id, seq, owner, class, Severity::High, at)
    };
    let contacts = high(
        "crm-contacts",
        1,
        "crm",
        ClientAuthFailed,
        utc(10, 30, 14, 0),
    );
    let orders = incident(
        "crm-orders",
        1,
        "crm",
        AuthRejected,
        Severity::Critical,
        utc(11, 1, 3, 0),
    );
    let leads = incident(
        "crm-leads",
        1,
        "crm",
        Network,
        Severity::Medium,
        utc(11, 1, 17, 0),
    );
    let crm_sync = high("crm-sync", 1, "crm", ClientAuthFailed, utc(11, 2, 15, 0));
    let emea_sync = high("emea-sync", 1, "emea", ClientAuthFailed, utc(11, 2, 15, 0));
    let billing = high(
        "emea-billing",
        1,
        "emea",
        SfmcUnavailable,
        utc(11, 3, 19, 0),
    );
    let feeds: Vec<_> = (1..=4)
        .map(|n| {
            high(
                &format!("crm-feed-{n}"),
                1,
                "crm",
                IpNotAllowlisted,
                utc(11, 4, 16, 0),
            )
        })
        .collect();
    let survey = high("crm-survey", 1, "crm", ClientAuthFailed, utc(11, 5, 15, 30));
    let quiz = high("crm-quiz", 1, "crm", ClientAuthFailed, utc(11, 5, 15, 40));
    let loyalty = high(
        "crm-loyalty",
        1,
        "crm",
        ClientAuthFailed,
        utc(11, 5, 19, 10),
    );
    let rewards = high("crm-rewards", 1, "crm", Network, utc(11, 5, 19, 20));

    let mut now = start;
    while now <= end {
        let at = |month, day, hour, minute| now == utc(month, day, hour, minute);
        // Friday 10:00 EDT: a high auth incident during business hours.
        if at(10, 30, 14, 0) {
            world.open(&contacts).await;
        }
        // Saturday 23:00 EDT: a critical one at night; resolved Sunday 01:15 EST, after the
        // clocks went back (01:15 happened twice that night).
        if at(11, 1, 3, 0) {
            world.open(&orders).await;
        }
        if at(11, 1, 6, 15) {
            world.resolve(&orders.id, now).await;
        }
        // Sunday 12:00 EST: a medium one at the weekend; resolved Monday 10:10 EST.
        if at(11, 1, 17, 0) {
            world.open(&leads).await;
        }
        if at(11, 2, 15, 10) {
            world.resolve(&leads.id, now).await;
        }
        // Monday 10:00 EST (16:00 Berlin): one credential, two integrations, two teams.
        if at(11, 2, 15, 0) {
            world.open(&crm_sync).await;
            world.open(&emea_sync).await;
        }
        if at(11, 2, 15, 45) {
            world.resolve(&crm_sync.id, now).await;
            world.resolve(&emea_sync.id, now).await;
        }
        // Monday 10:30 EST: someone takes the Friday incident.
        if at(11, 2, 15, 30) {
            assert!(world.ack(&contacts.id, "ana", now).await);
        }
        // Tuesday 10:00 EST: its class changes: the ack no longer counts, the schedule restarts.
        if at(11, 3, 15, 0) {
            world.change(&contacts.id, MissingScopes, now).await;
        }
        // Tuesday 20:00 Berlin: emea's own incident after hours.
        if at(11, 3, 19, 0) {
            world.open(&billing).await;
        }
        if at(11, 4, 12, 0) {
            world.resolve(&contacts.id, now).await;
        }
        if at(11, 4, 13, 0) {
            world.resolve(&billing.id, now).await;
        }
        // Wednesday 11:00 EST: four integrations fail the same way at once (a new egress IP).
        if at(11, 4, 16, 0) {
            for feed in &feeds {
                world.open(feed).await;
            }
        }
        if at(11, 4, 16, 30) {
            world.resolve(&feeds[0].id, now).await;
        }
        if at(11, 4, 16, 45) {
            for feed in &feeds[1..] {
                world.resolve(&feed.id, now).await;
            }
        }
        // Thursday, under the silence (15:00-17:00 UTC).
        if at(11, 5, 15, 30) {
            world.open(&survey).await;
        }
        if at(11, 5, 15, 40) {
            world.open(&quiz).await;
        }
        if at(11, 5, 16, 10) {
            world.resolve(&quiz.id, now).await;
        }
        if at(11, 5, 17, 20) {
            world.resolve(&survey.id, now).await;
        }
        // Thursday, in the integrations' maintenance window (19:00-20:00 UTC).
        if at(11, 5, 19, 10) {
            world.open(&loyalty).await;
        }
        if at(11, 5, 19, 20) {
            world.open(&rewards).await;
        }
        if at(11, 5, 19, 40) {
            world.resolve(&rewards.id, now).await;
        }
        if at(11, 5, 20, 30) {
            world.resolve(&loyalty.id, now).await;
        }
        world.step(now).await;
        now = driver::plus(now, 1);
    }
    world.sent
}

/// The week as a markdown table: UTC time, New York and Berlin times, team, event,
/// integration.
fn table(sent: &[Sent]) -> String {
    let mut out = String::from(
        "| time (UTC) | New York | Berlin | team | event | integration |\n|---|---|---|---|---|---|\n",
    );
    let ny = chrono::FixedOffset::west_opt(4 * 3600).expect("UTC-4");
    let est = chrono::FixedOffset::west_opt(5 * 3600).expect("UTC-5");
    let cet = chrono::FixedOffset::east_opt(3600).expect("UTC+1");
    let fall_back = utc(11, 1, 6, 0);
    for s in sent {
        let local = if s.at < fall_back {
            s.at.with_timezone(&ny).format("%a %H:%M EDT").to_string()
        } else {
            s.at.with_timezone(&est).format("%a %H:%M EST").to_string()
        };
        out.push_str(&format!(
            "| {} | {local} | {} | {} | {} | {} |\n",
            s.at.format("%a %Y-%m-%d %H:%M"),
            s.at.with_timezone(&cet).format("%a %H:%M CET"),
            s.team,
            s.event,
            s.integration
        ));
    }
    out
}

#[tokio::test]
async fn a_week_of_crm_alerts_across_the_fall_back_and_a_weekend() {
    let sent = the_week().await;
    if std::env::var_os("CREDWATCH_PRINT_WEEK").is_some_and(|v| v == "1") {
        println!("{}", table(&sent));
        for s in &sent {
            println!(
                "{} {} {}",
                s.at.format("%m-%d %H:%M"),
                s.team,
                s.notification_id
            );
        }
    }
    let got: Vec<(String, &str, &str, &str)> = sent
        .iter()
        .map(|s| {
            (
                s.at.format("%m-%d %H:%M").to_string(),
                s.team.as_str(),
                s.event.as_str(),
                s.integration.as_str(),
            )
        })
        .collect();
    let expected: Vec<(&str, &str, &str, &str)> = vec![
        // Friday, New York on EDT: the high auth incident, opened at once in business hours;
        // reminder 1 (+1h), escalation after 2 business hours to emea and crm, reminder 2 (+5h).
        ("10-30 14:00", "crm", "opened", "crm-contacts"),
        ("10-30 15:00", "crm", "reminder", "crm-contacts"),
        ("10-30 16:00", "crm", "escalated", "crm-contacts"),
        ("10-30 16:00", "emea", "escalated", "crm-contacts"),
        ("10-30 19:00", "crm", "reminder", "crm-contacts"),
        // Saturday 23:00 EDT: critical, at once to crm and to noc (after hours); its reminders
        // (+30m, +1h30) and escalation (2h wall-clock) too; resolved after the fold.
        ("11-01 03:00", "crm", "opened", "crm-orders"),
        ("11-01 03:00", "noc", "opened", "crm-orders"),
        ("11-01 03:30", "crm", "reminder", "crm-orders"),
        ("11-01 03:30", "noc", "reminder", "crm-orders"),
        ("11-01 04:30", "crm", "reminder", "crm-orders"),
        ("11-01 04:30", "noc", "reminder", "crm-orders"),
        ("11-01 05:00", "crm", "escalated", "crm-orders"),
        ("11-01 05:00", "emea", "escalated", "crm-orders"),
        ("11-01 05:00", "noc", "escalated", "crm-orders"),
        ("11-01 06:15", "crm", "resolved", "crm-orders"),
        ("11-01 06:15", "noc", "resolved", "crm-orders"),
        // Monday 09:00 EST: reminders 3-5 of the Friday incident (due Saturday 03:00, Sunday
        // 02:00 EST and Monday 02:00 EST) told as ONE (the latest, reminder 5); the Sunday
        // medium incident, deferred.
        ("11-02 14:00", "crm", "reminder", "crm-contacts"),
        ("11-02 14:00", "crm", "opened", "crm-leads"),
        // One credential, two teams: one notice to each once the 1-minute window closes.
        ("11-02 15:01", "crm", "opened", "crm-sync"),
        ("11-02 15:01", "emea", "opened", "crm-sync"),
        ("11-02 15:10", "crm", "resolved", "crm-leads"),
        // The ack stops the Friday incident's reminders (reminder 6 was due Tuesday 02:00).
        ("11-02 15:30", "crm", "acknowledged", "crm-contacts"),
        ("11-02 15:45", "crm", "resolved", "crm-sync"),
        ("11-02 15:45", "emea", "resolved", "emea-sync"),
        // Tuesday: its class changes: `changed`, the schedule restarts (reminder 1, escalation
        // after 2 business hours, reminder 2); emea's copy waits for Berlin's morning.
        ("11-03 15:00", "crm", "changed", "crm-contacts"),
        ("11-03 16:00", "crm", "reminder", "crm-contacts"),
        ("11-03 17:00", "crm", "escalated", "crm-contacts"),
        ("11-03 20:00", "crm", "reminder", "crm-contacts"),
        // Wednesday 08:00 Berlin: the escalation and emea's own incident of Tuesday 20:00 Berlin
        // (its reminders 1-2 superseded by the opening, reminder 3 due 13:00 Berlin).
        ("11-04 07:00", "emea", "escalated", "crm-contacts"),
        ("11-04 07:00", "emea", "opened", "emea-billing"),
        ("11-04 12:00", "emea", "reminder", "emea-billing"),
        ("11-04 13:00", "emea", "resolved", "emea-billing"),
        // Resolved Wednesday 07:00 EST: told at 09:00 EST (reminder 3, held, superseded).
        ("11-04 14:00", "crm", "resolved", "crm-contacts"),
        // Four integrations at once: the first alone, the other three in one digest; their
        // resolves: the first alone, the other three in one resolve digest.
        ("11-04 16:00", "crm", "opened", "crm-feed-1"),
        ("11-04 16:01", "crm", "digest", "crm-feed-1"),
        ("11-04 16:30", "crm", "resolved", "crm-feed-1"),
        ("11-04 16:46", "crm", "digest", "crm-feed-2"),
        // Thursday: the silence ends (12:00 EST): the incident opened under it is told once;
        // the one that opened and resolved under it never.
        ("11-05 17:00", "crm", "opened", "crm-survey"),
        ("11-05 17:20", "crm", "resolved", "crm-survey"),
        // The maintenance window ends (15:00 EST): the same. Reminder 1 was due 1h after the
        // opening (14:10 EST), after the window: it follows the opening's schedule.
        ("11-05 20:00", "crm", "opened", "crm-loyalty"),
        ("11-05 20:10", "crm", "reminder", "crm-loyalty"),
        ("11-05 20:30", "crm", "resolved", "crm-loyalty"),
    ];
    let expected: Vec<(String, &str, &str, &str)> = expected
        .into_iter()
        .map(|(t, team, event, integration)| (t.to_string(), team, event, integration))
        .collect();
    assert_eq!(got, expected, "\n{}", table(&sent));
    let text_of = |id: &str| {
        sent.iter()
            .find(|s| s.notification_id == id)
            .map(|s| s.text.as_str())
            .unwrap_or_else(|| panic!("{id} was not sent"))
    };
    // The nights' reminders of the Friday incident: ONE, the latest (5), on Monday morning.
    let reminders: Vec<&str> = sent
        .iter()
        .filter(|s| s.event == "reminder" && s.integration == "crm-contacts")
        .map(|s| s.notification_id.as_str())
        .collect();
    assert_eq!(
        reminders,
        [
            "crm-contacts:auth:1/reminder/1@2026-10-30T14:00:00.000Z",
            "crm-contacts:auth:1/reminder/2@2026-10-30T14:00:00.000Z",
            "crm-contacts:auth:1/reminder/5@2026-10-30T14:00:00.000Z",
            "crm-contacts:auth:1/reminder/1@2026-11-03T15:00:00.000Z",
            "crm-contacts:auth:1/reminder/2@2026-11-03T15:00:00.000Z",
        ]
    );
    // One notice per team naming the credential and both integrations.
    for id in [
        "crm-sync:auth:1/opened/credential@2026-11-02T15:00:00.000Z",
        "crm-sync:auth:1/opened/credential@2026-11-02T15:00:00.000Z>emea",
    ] {
        let text = text_of(id);
        assert!(text.contains("client id client-shared-sync"), "{text}");
        assert!(
            text.contains("crm-sync feed (integration crm-sync)"),
            "{text}"
        );
        assert!(
            text.contains("emea-sync feed (emea-sync, team emea"),
            "{text}"
        );
    }
    // The digests name the three others.
    let opened = text_of("crm-feed-1:auth:1/digest/opened@2026-11-04T16:00:00.000Z");
    assert!(
        opened.contains("3 more failing like crm-feed-1 feed"),
        "{opened}"
    );
    let resolved = text_of("crm-feed-2:auth:1/digest/resolved@2026-11-04T16:45:00.000Z");
    assert!(
        resolved.contains("2 more like crm-feed-2 feed"),
        "{resolved}"
    );
    for n in 2..=4 {
        let named = format!("crm-feed-{n} feed (crm-feed-{n}, team crm");
        assert!(opened.contains(&named), "{opened}");
        if n > 2 {
            assert!(resolved.contains(&named), "{resolved}");
        }
    }
    // Held by the silence, by the window: each says so when the hold ends.
    let silenced = text_of("crm-survey:auth:1/opened");
    assert!(
        silenced.contains("silenced since 2026-11-05 15:30 UTC"),
        "{silenced}"
    );
    assert!(silenced.contains("silence sil-weekcrmabc"), "{silenced}");
    let maintained = text_of("crm-loyalty:auth:1/opened");
    assert!(
        maintained.contains("maintenance window of integration crm-loyalty"),
        "{maintained}"
    );
    // Opened and resolved under a hold: never told.
    assert!(
        sent.iter()
            .all(|s| s.integration != "crm-quiz" && s.integration != "crm-rewards")
    );
}
