//! Property tests of alert operations (issue 11): random teams (time zones, business hours,
//! reminder caps, escalation, after-hours routing, grouping), random incidents opening,
//! changing class, resolving and acknowledged, random silences, run minute by minute through
//! the stream handler and the sweep in process over three days that span New York's fall back
//! and a weekend. After each run:
//!
//! (a) every opened incident was told to its owner (a message about it, or a group notice
//!     naming it), or its owner's opening is still held past the end or was superseded with a
//!     reason (it resolved while held); one sent at once went out the minute it opened, a
//!     grouped one within the group's wait and a sweep;
//! (b) no incident schedule has more reminders than `remind_max`;
//! (c) no reminder or escalation went out while its incident was acknowledged (an ack given
//!     after its last class change);
//! (d) nothing is lost: every record ends sent, superseded with a reason, or held / pending
//!     with a next attempt after the last sweep.

#[path = "operations/driver.rs"]
mod driver;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Utc, Weekday};
use credwatch::domain::incident::IncidentId;
use credwatch::domain::outcome::OutcomeClass;
use credwatch::domain::severity::Severity;
use credwatch::domain::silence::{MatchField, Matcher, Silence};
use credwatch::inventory::{BusinessHours, Team};
use credwatch::notify::delivery::{DecisionKind, DeliveryState, NotificationRecord};
use credwatch::store::Silences;
use proptest::prelude::*;

use driver::{World, incident, integration, plus, team};

/// Simulated minutes per run: three days.
const HORIZON: u16 = 3 * 24 * 60;
/// Integrations per run; the last two share a Client Id (one credential).
const INTEGRATIONS: usize = 6;
const TEAMS: [&str; 2] = ["ta", "tb"];
const ZONES: [&str; 4] = ["America/New_York", "Europe/Berlin", "UTC", "Asia/Kolkata"];
const CLASSES: [OutcomeClass; 3] = [
    OutcomeClass::ClientAuthFailed,
    OutcomeClass::IpNotAllowlisted,
    OutcomeClass::Throttled,
];
const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

/// Friday 2026-10-30 12:00 UTC: the weekend and New York's fall back are in the horizon.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 30, 12, 0, 0)
        .single()
        .expect("a valid time")
}

/// One team's settings, as generated.
#[derive(Debug, Clone)]
struct TeamSpec {
    zone: usize,
    business_hours: bool,
    remind_max: Option<u32>,
    /// `remind_after: [20m, 1h]` instead of the severity's schedule.
    fast_reminders: bool,
    /// `escalate_after` in minutes, to the other team.
    escalate_after: Option<u64>,
    /// `after_hours_to` the other team.
    after_hours: bool,
    /// `group_wait: 1m` (else no grouping).
    grouping: bool,
}

/// One scenario event.
#[derive(Debug, Clone)]
enum Event {
    Open {
        integration: usize,
        severity: usize,
        class: usize,
    },
    Change {
        integration: usize,
        class: usize,
    },
    Resolve {
        integration: usize,
    },
    Ack {
        integration: usize,
    },
    /// A silence of a team (`of_team`) or an integration, from now for `minutes`.
    Silence {
        of_team: bool,
        index: usize,
        minutes: u16,
    },
}

#[derive(Debug, Clone)]
struct Scenario {
    teams: Vec<TeamSpec>,
    /// The owner (team index) of each integration.
    owners: Vec<usize>,
    /// (minute, event), sorted by minute.
    events: Vec<(u16, Event)>,
}

fn team_spec() -> impl Strategy<Value = TeamSpec> {
    (
        0..ZONES.len(),
        any::<bool>(),
        proptest::option::of(1u32..=3),
        any::<bool>(),
        proptest::option::of(60u64..=300),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                zone,
                business_hours,
                remind_max,
                fast_reminders,
                escalate_after,
                after_hours,
                grouping,
            )| {
                TeamSpec {
                    zone,
                    business_hours,
                    remind_max,
                    fast_reminders,
                    escalate_after,
                    after_hours,
                    grouping,
                }
            },
        )
}

fn event() -> impl Strategy<Value = Event> {
    let i = 0..INTEGRATIONS;
    prop_oneof![
        4 => (i.clone(), 0..SEVERITIES.len(), 0..CLASSES.len()).prop_map(
            |(integration, severity, class)| Event::Open { integration, severity, class }
        ),
        1 => (i.clone(), 0..CLASSES.len())
            .prop_map(|(integration, class)| Event::Change { integration, class }),
        3 => i.clone().prop_map(|integration| Event::Resolve { integration }),
        2 => i.prop_map(|integration| Event::Ack { integration }),
        1 => (any::<bool>(), 0..INTEGRATIONS, 30u16..=300)
            .prop_map(|(of_team, index, minutes)| Event::Silence { of_team, index, minutes }),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        proptest::collection::vec(team_spec(), TEAMS.len()),
        proptest::collection::vec(0..TEAMS.len(), INTEGRATIONS),
        proptest::collection::vec((0..HORIZON, event()), 1..16),
    )
        .prop_map(|(teams, owners, mut events)| {
            events.sort_by_key(|(minute, _)| *minute);
            Scenario {
                teams,
                owners,
                events,
            }
        })
}

fn inventory_team(index: usize, spec: &TeamSpec) -> Team {
    let other = TEAMS[1 - index].to_string();
    let mut t = team(TEAMS[index]);
    t.timezone = Some(ZONES[spec.zone].to_string());
    t.business_hours = spec.business_hours.then(|| BusinessHours {
        days: vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ],
        start: NaiveTime::from_hms_opt(9, 0, 0).expect("09:00"),
        end: NaiveTime::from_hms_opt(17, 0, 0).expect("17:00"),
    });
    t.notify.remind_max = spec.remind_max;
    if spec.fast_reminders {
        t.notify.remind_after = vec![Duration::from_secs(20 * 60), Duration::from_secs(3600)];
    }
    t.escalate_after = spec.escalate_after.map(|m| Duration::from_secs(m * 60));
    t.escalate_to = spec.escalate_after.map(|_| other.clone());
    t.after_hours_to = spec.after_hours.then_some(other);
    t.notify.group_wait = if spec.grouping {
        Duration::from_secs(60)
    } else {
        Duration::ZERO
    };
    t
}

/// One incident's life, as the scenario wrote it.
#[derive(Debug, Clone)]
struct Life {
    owner: String,
    opened_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    /// Class changes (restarting the schedules).
    changes: Vec<DateTime<Utc>>,
    acks: Vec<DateTime<Utc>>,
}

impl Life {
    fn open_at(&self, t: DateTime<Utc>) -> bool {
        self.opened_at <= t && self.resolved_at.is_none_or(|r| t < r)
    }

    /// Acknowledged at `t`: an ack at or after the last class change before `t`.
    fn acknowledged_at(&self, t: DateTime<Utc>) -> bool {
        let since = self
            .changes
            .iter()
            .filter(|c| **c <= t)
            .max()
            .copied()
            .unwrap_or(self.opened_at);
        self.open_at(t) && self.acks.iter().any(|a| *a >= since && *a <= t)
    }
}

/// What a run leaves: the world after the last sweep and the incidents' lives.
struct Run {
    world: World,
    lives: HashMap<IncidentId, Life>,
    end: DateTime<Utc>,
}

async fn run(scenario: &Scenario) -> Run {
    let t0 = start();
    let teams: Vec<Team> = scenario
        .teams
        .iter()
        .enumerate()
        .map(|(i, spec)| inventory_team(i, spec))
        .collect();
    let integrations: Vec<_> = (0..INTEGRATIONS)
        .map(|i| {
            let mut it = integration(&format!("i{i}"), TEAMS[scenario.owners[i]], Severity::High);
            if i >= INTEGRATIONS - 2 {
                it.client_id = "client-shared".to_string();
            }
            it
        })
        .collect();
    let mut world = World::new(&teams, &integrations, t0).await;
    let mut lives: HashMap<IncidentId, Life> = HashMap::new();
    let mut open: Vec<Option<IncidentId>> = vec![None; INTEGRATIONS];
    let mut seq = [0u32; INTEGRATIONS];
    let mut silences = 0u32;
    let mut events = scenario.events.iter().peekable();
    for minute in 0..HORIZON {
        let now = plus(t0, i64::from(minute));
        while let Some((_, event)) = events.next_if(|(m, _)| *m == minute) {
            match *event {
                Event::Open {
                    integration: i,
                    severity,
                    class,
                } if open[i].is_none() => {
                    seq[i] += 1;
                    let owner = TEAMS[scenario.owners[i]];
                    let new = incident(
                        &format!("i{i}"),
                        seq[i],
                        owner,
                        CLASSES[class],
                        SEVERITIES[severity],
                        now,
                    );
                    world.open(&new).await;
                    lives.insert(
                        new.id.clone(),
                        Life {
                            owner: owner.to_string(),
                            opened_at: now,
                            resolved_at: None,
                            changes: Vec::new(),
                            acks: Vec::new(),
                        },
                    );
                    open[i] = Some(new.id);
                }
                Event::Change {
                    integration: i,
                    class,
                } => {
                    if let Some(id) = &open[i]
                        && world.incident(id).await.class.as_str() != CLASSES[class].as_str()
                    {
                        world.change(id, CLASSES[class], now).await;
                        lives
                            .get_mut(id)
                            .expect("a life per incident")
                            .changes
                            .push(now);
                    }
                }
                Event::Resolve { integration: i } => {
                    if let Some(id) = open[i].take() {
                        world.resolve(&id, now).await;
                        lives.get_mut(&id).expect("a life per incident").resolved_at = Some(now);
                    }
                }
                Event::Ack { integration: i } => {
                    if let Some(id) = &open[i] {
                        assert!(world.ack(id, "ana", now).await);
                        lives
                            .get_mut(id)
                            .expect("a life per incident")
                            .acks
                            .push(now);
                    }
                }
                Event::Silence {
                    of_team,
                    index,
                    minutes,
                } => {
                    silences += 1;
                    let matcher = if of_team {
                        Matcher::new(MatchField::Team, TEAMS[index % TEAMS.len()])
                    } else {
                        Matcher::new(MatchField::Integration, format!("i{index}"))
                    }
                    .expect("a valid matcher");
                    let letters: String = (0..6)
                        .map(|k| char::from(b'a' + ((silences / 26u32.pow(k)) % 26) as u8))
                        .collect();
                    let silence = Silence::new(
                        format!("sil-prop{letters}").parse().expect("a valid id"),
                        vec![matcher],
                        now,
                        plus(now, i64::from(minutes)),
                        "planned work".to_string(),
                        "ana".to_string(),
                        now,
                    )
                    .expect("a valid silence");
                    world.store.put_silence(&silence).await.expect("kept");
                }
                Event::Open { .. } => {}
            }
        }
        world.step(now).await;
    }
    Run {
        world,
        lives,
        end: plus(t0, i64::from(HORIZON - 1)),
    }
}

/// The properties, as a list of violations (empty: all hold).
fn violations(scenario: &Scenario, run: &Run) -> Vec<String> {
    let mut out = Vec::new();
    let records = run.world.store.notification_records();
    let sent = &run.world.sent;
    let about = |r: &NotificationRecord, id: &IncidentId| {
        r.incident_id() == id || r.notification.members.iter().any(|m| &m.incident_id == id)
    };
    for (id, life) in &run.lives {
        // (a) told, or held past the end, or superseded with a reason.
        let told_at = records
            .iter()
            .filter(|r| r.team() == life.owner && about(r, id))
            .filter(|r| r.delivery.state == DeliveryState::Sent)
            .filter_map(|r| r.delivery.finished_at)
            .min();
        let opening = records.iter().find(|r| {
            r.incident_id() == id && r.team() == life.owner && r.id().as_str().ends_with("/opened")
        });
        match (told_at, opening) {
            (_, None) => out.push(format!("{id}: no opening on record for its owner")),
            (Some(told), Some(opening)) => {
                let first = opening.delivery.decisions.first().map(|d| d.kind);
                if first == Some(DecisionKind::Send) && told != life.opened_at {
                    out.push(format!("{id}: sent at once, but first told at {told}"));
                }
                if first == Some(DecisionKind::Group) && told > plus(life.opened_at, 2) {
                    out.push(format!("{id}: grouped, but first told at {told}"));
                }
            }
            (None, Some(opening)) => {
                let ok = match opening.delivery.state {
                    // Resolved or not: the release after the end tells it (a resolve
                    // deferred with it tells the whole night's story).
                    DeliveryState::Held => opening
                        .delivery
                        .next_attempt_at
                        .is_some_and(|at| at > run.end),
                    DeliveryState::Superseded => {
                        life.resolved_at.is_some()
                            && opening
                                .last_decision()
                                .is_some_and(|d| !d.reason.is_empty())
                    }
                    _ => false,
                };
                if !ok {
                    out.push(format!(
                        "{id} ({life:?}): never told its owner, opening {:?} next {:?} decisions {:?}",
                        opening.delivery.state,
                        opening.delivery.next_attempt_at,
                        opening.delivery.decisions
                    ));
                }
            }
        }
        // (b) reminders per schedule within remind_max.
        let team_index = TEAMS.iter().position(|t| *t == life.owner).expect("a team");
        if let Some(max) = scenario.teams[team_index].remind_max {
            let mut by_since: HashMap<DateTime<Utc>, Vec<u32>> = HashMap::new();
            for r in records
                .iter()
                .filter(|r| r.incident_id() == id && r.team() == life.owner)
            {
                if let Some(step) = r.notification.step
                    && r.event().as_str() == "reminder"
                {
                    by_since.entry(step.since).or_default().push(step.n);
                }
            }
            for (since, ns) in by_since {
                if ns.len() as u32 > max || ns.iter().any(|n| *n > max) {
                    out.push(format!(
                        "{id}: reminders {ns:?} since {since} over remind_max {max}"
                    ));
                }
            }
        }
    }
    // (c) no reminder or escalation while acknowledged.
    for s in sent {
        if s.event != "reminder" && s.event != "escalated" {
            continue;
        }
        let id: IncidentId = s.incident_id.parse().expect("an incident id");
        if let Some(life) = run.lives.get(&id)
            && life.acknowledged_at(s.at)
        {
            out.push(format!(
                "{} sent at {} while acknowledged ({life:?})",
                s.notification_id, s.at
            ));
        }
    }
    // (d) nothing lost.
    for r in &records {
        let ok = match r.delivery.state {
            DeliveryState::Sent => true,
            DeliveryState::Superseded => r.last_decision().is_some_and(|d| !d.reason.is_empty()),
            DeliveryState::Held | DeliveryState::Pending => {
                r.delivery.next_attempt_at.is_some_and(|at| at > run.end)
            }
            _ => false,
        };
        if !ok {
            out.push(format!(
                "{} left {:?} next {:?}: {:?}",
                r.id(),
                r.delivery.state,
                r.delivery.next_attempt_at,
                r.delivery.decisions
            ));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        // 24 by default (about 8 s in debug); PROPTEST_CASES=500 searches harder.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24),
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn alert_operations_tell_everything_once_and_never_nag_an_acknowledged_incident(
        scenario in scenario()
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let run = runtime.block_on(run(&scenario));
        let found = violations(&scenario, &run);
        prop_assert!(found.is_empty(), "{}", found.join("\n"));
    }
}
