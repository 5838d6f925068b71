//! Walking the document: the top level, `defaults` and `teams`. Integrations are in
//! `integration.rs`.
//!
//! Conventions: every mapping is walked in file order so problems come out in the order a reader
//! meets them; an empty value (`runbook:`) counts as not given; a required key that is not given
//! is reported after the keys that are, once.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{NaiveDate, NaiveTime, Weekday};
use serde_yaml_ng::{Mapping, Value};

use super::bounds::{self, NAME_MAX};
use super::integration::{self, Context};
use super::report::{At, Report, index, join};
use super::{BusinessHours, Defaults, Inventory, LoadOptions, Problem, Team, is_valid_timezone};

const TOP_KEYS: [&str; 4] = ["version", "defaults", "teams", "integrations"];
const TEAM_KEYS: [&str; 5] = ["id", "name", "timezone", "business_hours", "escalate_after"];
const BUSINESS_HOURS_KEYS: [&str; 3] = ["days", "start", "end"];
pub(super) const CADENCE_KEYS: [&str; 4] = [
    "probe_every",
    "recheck_every",
    "expiry_warn_days",
    "secret_lifetime_days",
];
const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// SFMC's own guidance, quoted wherever a cadence is too fast.
const TOKEN_RATE: &str = "SFMC asks callers to request at most about one access token every \
                          20 minutes per app, and apps that ask much more often get throttled";

/// The whole document. The inventory is `Some` when the structure was complete enough to build
/// one; it is only valid if the report has no problems.
pub(super) fn parse(
    yaml: &str,
    options: &LoadOptions,
    today: NaiveDate,
) -> (Option<Inventory>, Report) {
    let mut report = Report::default();
    // Windows editors save UTF-8 with a byte-order mark; it is not part of the document.
    let yaml = yaml.strip_prefix('\u{feff}').unwrap_or(yaml);
    let root = match read_yaml(yaml) {
        Ok(root) => root,
        Err(problem) => {
            report.push_problem(problem);
            return (None, report);
        }
    };
    let mut at = At::new("inventory", &mut report);
    let root = match &root {
        Value::Null => {
            at.error(
                "",
                None,
                "the file is empty; an inventory needs at least `version: 1` and `integrations:`",
            );
            return (None, report);
        }
        other => match at.mapping("", other) {
            Some(root) => root,
            None => return (None, report),
        },
    };
    parse_top(root, options, today)
}

/// Largest inventory accepted: thousands of integrations fit in far less.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Deepest nesting accepted (a real inventory nests 5 levels).
pub const MAX_DEPTH: usize = 32;

/// Most YAML values (scalars, lists and mappings, counted with every alias expanded) an
/// inventory may hold: a thousand integrations need about 25,000.
pub const MAX_VALUES: usize = 250_000;

/// Most bytes of text (scalars and keys, counted with every alias expanded) an inventory may
/// hold: 8 MiB, eight times the largest file, so only aliases of large anchors reach it (one
/// 700,000-character anchor referenced 68,000 times would otherwise need about 47 GB).
pub const MAX_EXPANDED_BYTES: usize = 8 * 1024 * 1024;

fn read_yaml(yaml: &str) -> Result<Value, Problem> {
    check_shape(yaml)?;
    check_expanded_size(yaml)?;
    let mut root: Value = serde_yaml_ng::from_str(yaml).map_err(not_yaml)?;
    // `<<: *anchor` merge keys let a file share settings between entries.
    root.apply_merge().map_err(not_yaml)?;
    Ok(root)
}

/// Refuses, before any YAML parsing and in one pass over the bytes, a file larger than
/// [`MAX_FILE_BYTES`] or nested deeper than [`MAX_DEPTH`] (flow `[` / `{` outside quotes and
/// comments, plus block indentation levels and `- ` on one line), so a hostile file (200 KB of
/// `[`) is refused at once instead of keeping the parser busy. An approximation of YAML's
/// nesting that never undercounts a real one by more than a block scalar's own indentation.
pub(super) fn check_shape(yaml: &str) -> Result<(), Problem> {
    let refuse = |message: String| Problem {
        location: "inventory".into(),
        field: String::new(),
        value: None,
        message,
    };
    if yaml.len() > MAX_FILE_BYTES {
        return Err(refuse(format!(
            "the file is {} bytes; an inventory may be at most {} bytes (1 MiB)",
            yaml.len(),
            MAX_FILE_BYTES
        )));
    }
    let too_deep = |line: usize| {
        refuse(format!(
            "the file nests lists and mappings more than {MAX_DEPTH} levels deep (line {line}); \
             an inventory needs about 5"
        ))
    };
    let mut flow = 0usize;
    let mut quote: Option<u8> = None;
    let mut indents: Vec<usize> = Vec::new();
    for (number, line) in yaml.lines().enumerate() {
        let bytes = line.as_bytes();
        if quote.is_none() && flow == 0 {
            let indent = bytes.iter().take_while(|&&b| b == b' ').count();
            let rest = &bytes[indent..];
            if !rest.is_empty() && rest[0] != b'#' {
                while indents.last().is_some_and(|&top| top >= indent) {
                    indents.pop();
                }
                indents.push(indent);
                let dashes = rest.chunks(2).take_while(|pair| *pair == b"- ").count();
                if indents.len() + dashes > MAX_DEPTH {
                    return Err(too_deep(number + 1));
                }
            }
        }
        let mut previous = b' ';
        for &byte in bytes {
            match (quote, byte) {
                (Some(open), b) if b == open => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') if matches!(previous, b' ' | b'[' | b'{' | b',' | b':') => {
                    quote = Some(byte)
                }
                (None, b'#') if previous == b' ' => break,
                (None, b'[' | b'{') => {
                    flow += 1;
                    if flow + indents.len() > MAX_DEPTH {
                        return Err(too_deep(number + 1));
                    }
                }
                (None, b']' | b'}') => flow = flow.saturating_sub(1),
                _ => {}
            }
            previous = byte;
        }
    }
    Ok(())
}

/// Refuses a file whose aliases expand to more than [`MAX_VALUES`] values or more than
/// [`MAX_EXPANDED_BYTES`] bytes of text, by counting both in a first pass that builds no values
/// (a small file with many aliases of a large anchor would otherwise expand to gigabytes).
fn check_expanded_size(yaml: &str) -> Result<(), Problem> {
    use serde::de::DeserializeSeed as _;
    let budget = Budget::default();
    let result = ValueCounter(&budget).deserialize(serde_yaml_ng::Deserializer::from_str(yaml));
    let refuse = |message: String| {
        Err(Problem {
            location: "inventory".into(),
            field: String::new(),
            value: None,
            message,
        })
    };
    match result {
        _ if budget.values.get() > MAX_VALUES => refuse(format!(
            "the file holds more than {MAX_VALUES} values (lists, mappings and scalars, each \
             YAML alias `*name` counted as what it repeats); an inventory needs far fewer"
        )),
        _ if budget.bytes.get() > MAX_EXPANDED_BYTES => refuse(format!(
            "the file expands to more than {MAX_EXPANDED_BYTES} bytes (8 MiB) of text through \
             YAML aliases (`*name` repeating a long `&name` value); write each value out once \
             or shorten the anchored one"
        )),
        // Any other error is reported by the real parse, with its position.
        _ => Ok(()),
    }
}

/// What the first pass has counted so far.
#[derive(Default)]
struct Budget {
    values: std::cell::Cell<usize>,
    bytes: std::cell::Cell<usize>,
}

/// Counts values and text bytes while visiting a document, failing once past [`MAX_VALUES`] or
/// [`MAX_EXPANDED_BYTES`].
#[derive(Clone, Copy)]
struct ValueCounter<'a>(&'a Budget);

impl ValueCounter<'_> {
    fn bump<E: serde::de::Error>(self) -> Result<(), E> {
        self.bump_text(0)
    }

    /// One value of `len` bytes of text (0 for numbers, lists and mappings).
    fn bump_text<E: serde::de::Error>(self, len: usize) -> Result<(), E> {
        let (values, bytes) = (&self.0.values, &self.0.bytes);
        values.set(values.get().saturating_add(1));
        bytes.set(bytes.get().saturating_add(len));
        if values.get() > MAX_VALUES || bytes.get() > MAX_EXPANDED_BYTES {
            return Err(E::custom("too large once expanded"));
        }
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for ValueCounter<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ValueCounter<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.bump()
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.bump()
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.bump()
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.bump()
    }
    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<(), E> {
        self.bump_text(text.len())
    }
    fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<(), E> {
        self.bump_text(bytes.len())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.bump()
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.bump()
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        use serde::de::DeserializeSeed as _;
        self.bump()?;
        self.deserialize(d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.bump()?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.bump()?;
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use serde::de::VariantAccess as _;
        // A tagged value (`!tag value`).
        self.bump()?;
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}

fn not_yaml(err: serde_yaml_ng::Error) -> Problem {
    let mut message = format!("the file is not valid YAML: {err}");
    // Some errors carry their position only out of band.
    if let Some(at) = err.location().filter(|_| !message.contains(" at line ")) {
        message.push_str(&format!(" (line {}, column {})", at.line(), at.column()));
    }
    Problem {
        location: "inventory".into(),
        field: String::new(),
        value: None,
        message,
    }
}

fn parse_top(
    root: &Mapping,
    options: &LoadOptions,
    today: NaiveDate,
) -> (Option<Inventory>, Report) {
    // Sections depend on each other (integrations need the team ids and defaults), but their
    // problems must come out in file order: each top-level entry reports into its own chunk,
    // and the chunks are joined in file order at the end.
    let mut chunks: Vec<Report> = std::iter::repeat_with(Report::default)
        .take(root.len())
        .collect();
    let mut sections: HashMap<&str, (usize, &Value)> = HashMap::new();
    for (position, (key, value)) in root.iter().enumerate() {
        let mut at = At::new("inventory", &mut chunks[position]);
        let Some(key) = at.key("", key) else { continue };
        if TOP_KEYS.contains(&key) {
            sections.insert(key, (position, value));
        } else {
            at.unknown_key("", key, &TOP_KEYS);
        }
    }
    let given = |key: &str| sections.get(key).copied().filter(|(_, v)| !v.is_null());

    let version = given("version").and_then(|(position, value)| {
        parse_version(&mut At::new("inventory", &mut chunks[position]), value)
    });
    let defaults = match given("defaults") {
        Some((position, value)) => parse_defaults(value, &mut chunks[position]),
        None => Defaults::default(),
    };
    let (teams, team_ids) = match given("teams") {
        Some((position, value)) => parse_teams(value, &mut chunks[position]),
        None => (Vec::new(), Some(Vec::new())),
    };
    let context = Context {
        options,
        today,
        defaults: &defaults,
        team_ids: team_ids.as_deref(),
    };
    // Not `given`: `integrations:` with nothing under it is an empty list (a warning).
    let integrations = sections.get("integrations").and_then(|&(position, value)| {
        integration::parse_integrations(value, &context, &mut chunks[position])
    });

    let mut report = Report::default();
    for chunk in chunks {
        report.append(chunk);
    }
    let mut at = At::new("inventory", &mut report);
    if given("version").is_none() {
        at.error(
            "version",
            None,
            "is missing; start the file with `version: 1`",
        );
    }
    if !sections.contains_key("integrations") {
        at.error(
            "integrations",
            None,
            "is missing; list the SFMC integrations to watch under `integrations:`",
        );
    }

    let inventory = match (version, integrations) {
        (Some(version), Some(integrations)) => Some(Inventory {
            version,
            defaults,
            teams,
            integrations,
        }),
        _ => None,
    };
    (inventory, report)
}

pub(super) fn warn_no_integrations(at: &mut At) {
    at.warn(
        "integrations",
        None,
        "there are no integrations, so there is nothing to watch",
    );
}

fn parse_version(at: &mut At, value: &Value) -> Option<u32> {
    match value.as_u64() {
        Some(1) => Some(1),
        Some(_) => {
            at.error(
                "version",
                Some(value),
                "this credwatch reads inventory version 1 only; write `version: 1`",
            );
            None
        }
        None => {
            at.wrong_type("version", value, "the number 1");
            None
        }
    }
}

fn parse_defaults(value: &Value, report: &mut Report) -> Defaults {
    let mut at = At::new("defaults", report);
    let mut cadence = Cadence::default();
    if let Some(map) = at.mapping("", value) {
        for (key, value) in map {
            let Some(key) = at.key("", key) else { continue };
            if !cadence.read(&mut at, key, value) {
                at.unknown_key("", key, &CADENCE_KEYS);
            }
        }
    }
    cadence.resolve(&Defaults::default())
}

/// The settings `defaults` and each integration share; `None` means not given (or invalid).
#[derive(Debug, Default)]
pub(super) struct Cadence {
    probe_every: Option<Duration>,
    recheck_every: Option<Duration>,
    expiry_warn_days: Option<Vec<u32>>,
    secret_lifetime_days: Option<u32>,
}

impl Cadence {
    /// Reads `key` if it is one of [`CADENCE_KEYS`]; false if it is not.
    pub fn read(&mut self, at: &mut At, key: &str, value: &Value) -> bool {
        if !CADENCE_KEYS.contains(&key) {
            return false;
        }
        if value.is_null() {
            return true;
        }
        match key {
            "probe_every" => self.probe_every = probe_every(at, value),
            "recheck_every" => self.recheck_every = recheck_every(at, value),
            "expiry_warn_days" => self.expiry_warn_days = expiry_warn_days(at, value),
            _ => {
                self.secret_lifetime_days = at
                    .number_in_range(
                        "secret_lifetime_days",
                        value,
                        bounds::SECRET_LIFETIME_DAYS_MAX,
                        "days",
                    )
                    .map(|days| days as u32);
            }
        }
        true
    }

    /// Fills what was not given from `fallback`.
    pub fn resolve(self, fallback: &Defaults) -> Defaults {
        Defaults {
            probe_every: self.probe_every.unwrap_or(fallback.probe_every),
            recheck_every: self.recheck_every.unwrap_or(fallback.recheck_every),
            expiry_warn_days: self
                .expiry_warn_days
                .unwrap_or_else(|| fallback.expiry_warn_days.clone()),
            secret_lifetime_days: self
                .secret_lifetime_days
                .unwrap_or(fallback.secret_lifetime_days),
        }
    }
}

fn probe_every(at: &mut At, value: &Value) -> Option<Duration> {
    let every = at.duration_in(
        "probe_every",
        value,
        bounds::PROBE_EVERY,
        &format!(" ({TOKEN_RATE}); 15m is a good default"),
        " (a credential that breaks would go unnoticed that long); 15m is a good default",
    )?;
    if every < Duration::from_secs(5 * 60) {
        at.warn(
            "probe_every",
            Some(value),
            format!("is shorter than 5m: {TOKEN_RATE}; 15m is a good default"),
        );
    }
    Some(every)
}

fn recheck_every(at: &mut At, value: &Value) -> Option<Duration> {
    at.duration_in(
        "recheck_every",
        value,
        bounds::RECHECK_EVERY,
        &format!(" ({TOKEN_RATE}); 2m is a good default"),
        " (a failing credential is rechecked this often to confirm it); 2m is a good default",
    )
}

fn expiry_warn_days(at: &mut At, value: &Value) -> Option<Vec<u32>> {
    let items = at.list("expiry_warn_days", value)?;
    if items.is_empty() {
        at.error(
            "expiry_warn_days",
            Some(value),
            "needs at least one number of days, e.g. [30, 14, 7, 3, 1]",
        );
        return None;
    }
    if items.len() > bounds::WARN_DAYS_COUNT_MAX {
        at.error(
            "expiry_warn_days",
            None,
            format!(
                "lists {} thresholds; at most {}",
                items.len(),
                bounds::WARN_DAYS_COUNT_MAX
            ),
        );
        return None;
    }
    let mut days = Vec::new();
    let mut all_valid = true;
    for (i, item) in items.iter().enumerate() {
        let field = index("expiry_warn_days", i);
        match at.number_in_range(&field, item, bounds::WARN_DAYS_MAX, "days") {
            Some(n) if days.contains(&(n as u32)) => {
                at.error(&field, Some(item), "is listed twice; list each number once");
                all_valid = false;
            }
            Some(n) => days.push(n as u32),
            None => all_valid = false,
        }
    }
    // Largest first: the order reminders go out in.
    days.sort_unstable_by(|a, b| b.cmp(a));
    all_valid.then_some(days)
}

/// The teams, and every id declared: valid or not, so that one bad team does not also make
/// every integration it owns an error; `None` if `teams` is not even a list.
fn parse_teams(value: &Value, report: &mut Report) -> (Vec<Team>, Option<Vec<String>>) {
    let Some(items) = At::new("inventory", report).list("teams", value) else {
        return (Vec::new(), None);
    };
    let team_ids = items
        .iter()
        .filter_map(|team| team.get("id")?.as_str().map(str::to_string))
        .collect();
    let mut ids = HashMap::new();
    let teams = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| parse_team(i, item, &mut ids, report))
        .collect();
    (teams, Some(team_ids))
}

fn parse_team(
    i: usize,
    item: &Value,
    ids: &mut HashMap<String, usize>,
    report: &mut Report,
) -> Option<Team> {
    let mut at = At::new(entry_location("teams", i, item), report);
    let map = at.mapping("", item)?;
    let mut given = Vec::new();
    let (mut id, mut name, mut timezone, mut business_hours, mut escalate_after) =
        (None, None, None, None, None);
    for (key, value) in map {
        let Some(key) = at.key("", key) else { continue };
        if value.is_null() && TEAM_KEYS.contains(&key) {
            continue;
        }
        given.push(key);
        match key {
            "id" => id = entry_id(&mut at, value, "teams", i, ids),
            "name" => name = at.bounded_text("name", value, NAME_MAX).map(str::to_string),
            "timezone" => timezone = parse_timezone(&mut at, value),
            "business_hours" => business_hours = parse_business_hours(&mut at, value),
            "escalate_after" => {
                escalate_after = at.duration_in(
                    "escalate_after",
                    value,
                    (Duration::from_secs(1), bounds::ESCALATE_AFTER_MAX),
                    "",
                    " (an unacknowledged incident should reach a backup within days, not weeks)",
                )
            }
            _ => at.unknown_key("", key, &TEAM_KEYS),
        }
    }
    require(
        &mut at,
        &given,
        "id",
        "is missing; give the team a short unique id such as crm-ops",
    );
    require(
        &mut at,
        &given,
        "name",
        "is missing; give the team a name people recognise, e.g. CRM Operations",
    );
    Some(Team {
        id: id?,
        name: name?,
        timezone,
        business_hours,
        escalate_after,
    })
}

fn parse_timezone(at: &mut At, value: &Value) -> Option<String> {
    let name = at.text("timezone", value)?;
    if !is_valid_timezone(name) {
        at.error(
            "timezone",
            Some(value),
            "is not a time zone name; use an IANA name such as America/New_York, Europe/London or UTC",
        );
        return None;
    }
    Some(name.to_string())
}

fn parse_business_hours(at: &mut At, value: &Value) -> Option<BusinessHours> {
    let map = at.mapping("business_hours", value)?;
    let mut given = Vec::new();
    let (mut days, mut start, mut end) = (None, None, None);
    for (key, value) in map {
        let Some(key) = at.key("business_hours", key) else {
            continue;
        };
        if value.is_null() && BUSINESS_HOURS_KEYS.contains(&key) {
            continue;
        }
        given.push(key);
        match key {
            "days" => days = parse_days(at, value),
            "start" => start = parse_time(at, "business_hours.start", value),
            "end" => end = parse_time(at, "business_hours.end", value),
            _ => at.unknown_key("business_hours", key, &BUSINESS_HOURS_KEYS),
        }
    }
    for (key, example) in [
        ("days", "[mon, tue, wed, thu, fri]"),
        ("start", "\"08:00\""),
        ("end", "\"18:00\""),
    ] {
        if !given.contains(&key) {
            let field = join("business_hours", key);
            at.error(&field, None, format!("is missing; e.g. {key}: {example}"));
        }
    }
    let (start, end) = (start?, end?);
    if start >= end {
        at.error(
            "business_hours.end",
            map.get("end"),
            format!(
                "must be later than start ({}); business hours that run past midnight are not supported",
                start.format("%H:%M")
            ),
        );
        return None;
    }
    Some(BusinessHours {
        days: days?,
        start,
        end,
    })
}

fn parse_days(at: &mut At, value: &Value) -> Option<Vec<Weekday>> {
    let items = at.list("business_hours.days", value)?;
    if items.is_empty() {
        at.error(
            "business_hours.days",
            Some(value),
            "needs at least one day, e.g. [mon, tue, wed, thu, fri]",
        );
        return None;
    }
    let mut days = Vec::new();
    let mut all_valid = true;
    for (i, item) in items.iter().enumerate() {
        let field = index("business_hours.days", i);
        let day = at.text(&field, item).and_then(|name| {
            let day = DAYS.iter().find(|(short, _)| *short == name).map(|d| d.1);
            if day.is_none() {
                at.error(
                    &field,
                    Some(item),
                    "is not a day; use mon, tue, wed, thu, fri, sat or sun",
                );
            }
            day
        });
        match day {
            Some(day) if days.contains(&day) => {
                at.error(&field, Some(item), "is listed twice; list each day once");
                all_valid = false;
            }
            Some(day) => days.push(day),
            None => all_valid = false,
        }
    }
    all_valid.then_some(days)
}

/// A 24-hour `HH:MM` time.
fn parse_time(at: &mut At, field: &str, value: &Value) -> Option<NaiveTime> {
    const HOW: &str = "must be a 24-hour time written HH:MM in quotes, e.g. \"08:00\" or \"18:30\"";
    let time = value.as_str().and_then(|text| {
        let (hours, minutes) = text.split_once(':')?;
        let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(hours) || !two_digits(minutes) {
            return None;
        }
        NaiveTime::from_hms_opt(hours.parse().ok()?, minutes.parse().ok()?, 0)
    });
    if time.is_none() {
        at.error(field, Some(value), HOW);
    }
    time
}

/// `teams[0] (crm-ops)` when the entry has a usable id, else `teams[0]`.
pub(super) fn entry_location(section: &str, i: usize, item: &Value) -> String {
    match item.get("id").and_then(Value::as_str) {
        Some(id) if is_valid_id(id) => format!("{section}[{i}] ({id})"),
        _ => format!("{section}[{i}]"),
    }
}

/// Reads an entry's `id`: the pattern, and unique within `section` (`ids` maps each id to the
/// index that declared it first).
pub(super) fn entry_id(
    at: &mut At,
    value: &Value,
    section: &str,
    i: usize,
    ids: &mut HashMap<String, usize>,
) -> Option<String> {
    let id = at.text("id", value)?;
    if !is_valid_id(id) {
        let example = if section == "teams" {
            "crm-ops"
        } else {
            "crm-contact-sync"
        };
        at.error(
            "id",
            Some(value),
            format!(
                "must be 1 to 64 lowercase letters, digits and dashes, starting with a letter or \
                 digit, e.g. {example}"
            ),
        );
        return None;
    }
    if let Some(first) = ids.get(id) {
        at.error(
            "id",
            Some(value),
            format!("is already the id of {section}[{first}]; each id must be unique"),
        );
        return None;
    }
    ids.insert(id.to_string(), i);
    Some(id.to_string())
}

/// Whether `id` is a valid integration or team id, `[a-z0-9][a-z0-9-]{0,63}`: the rule of the
/// inventory, also applied to ids read back from the table.
pub fn is_valid_id(id: &str) -> bool {
    let lower_or_digit = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match id.as_bytes() {
        [first, rest @ ..] => {
            lower_or_digit(*first)
                && rest.len() <= 63
                && rest.iter().all(|&b| lower_or_digit(b) || b == b'-')
        }
        [] => false,
    }
}

/// Reports `key` as missing unless it was given.
pub(super) fn require(at: &mut At, given: &[&str], key: &str, message: &str) {
    if !given.contains(&key) {
        at.error(key, None, message);
    }
}
