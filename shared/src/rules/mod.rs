//! Pure decisions, one per file: state and `now` in, new state and incident changes out.
//! Randomness and time are parameters; no rule imports a store, an SDK or another rule that
//! imports it back.
//!
//! - [`health`]: the check state machine (one probe outcome -> health, incidents).
//! - [`schedule`]: when to probe next.
//! - [`expiry`]: client-secret expiry thresholds and the expiry incident.
//! - [`deadman`]: the dead-man's switch and retiring an integration.
//! - [`rotation`]: whether a secret change is a rotation.
//! - [`delivery`]: a notification's delivery (claims, backoff, shrinking, giving up).
//! - [`fanout`]: the incident change a DynamoDB stream record stands for.
//! - [`reminders`]: when an open, unacknowledged incident is reminded (decaying intervals, a
//!   cap, one reminder for several overdue).
//! - [`business_hours`]: a team's business hours in its time zone (inside?, next start,
//!   business time elapsed), across daylight-saving changes.
//! - [`escalation`]: whether and when an unacknowledged incident is escalated.
//! - [`followup`]: the reminder and escalation an open incident is owed now.
//! - [`grouping`]: which group a new notification joins (a shared credential, a team's burst
//!   of one class) and what its place in the window means.
//! - [`policy`]: whether a notification goes now (send, defer, suppress), to whom, and how
//!   held ones are released.
//! - [`silences`]: whether a notification is silenced, by which silence, and until when.
//! - [`maintenance`]: whether a recurring maintenance window is in force, and until when.
//! - [`drill`]: what the fan-out sends for a drill incident, and what a drill proved per team.

pub mod business_hours;
pub mod deadman;
pub mod delivery;
pub mod drill;
pub mod escalation;
pub mod expiry;
pub mod fanout;
pub mod followup;
pub mod grouping;
pub mod health;
pub mod maintenance;
pub mod passive;
pub mod policy;
pub mod reminders;
pub mod rotation;
pub mod schedule;
pub mod silences;
pub mod subscriptions;
