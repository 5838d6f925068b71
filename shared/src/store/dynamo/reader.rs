//! The typed attribute reader: every decoder reads through it, so every problem names the
//! item's key, the attribute's path and what is wrong, never the value (which might be
//! anything, in a corrupt item).

use std::fmt::Display;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};

use super::keys::item_integration;
use super::value::Item;
use crate::store::UnreadableItem;

/// An RFC 3339 time, `None` if it is not one (a year past 9999 is not).
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A `YYYY-MM-DD` day, `None` if it is not one.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A decoded value, or where the item is wrong.
pub type ReadResult<T> = Result<T, UnreadableItem>;

/// Typed access to an item's (or a nested map's) attributes. Errors name the item's key and
/// the attribute's path, never the value (which might be anything, in a corrupt item).
pub struct Reader<'a> {
    attributes: &'a Item,
    /// `pk=… sk=…` of the item (escaped and capped).
    label: &'a str,
    /// The integration the item's key names, if any.
    integration: Option<&'a str>,
    /// `""` at the top, `"auth."` inside the `auth` map.
    path: String,
}

impl<'a> Reader<'a> {
    /// A reader of `item`'s top-level attributes; `label` is
    /// [`item_label`](super::keys::item_label) of it.
    pub fn new(item: &'a Item, label: &'a str) -> Self {
        Reader {
            attributes: item,
            label,
            integration: item_integration(item),
            path: String::new(),
        }
    }

    /// The item is wrong at attribute `name` (under this reader's path): `problem` says how.
    pub fn corrupt(&self, name: &str, problem: &str) -> UnreadableItem {
        UnreadableItem {
            key: self.label.to_string(),
            integration: self.integration.map(str::to_string),
            field: format!("{}{name}", self.path),
            problem: problem.to_string(),
        }
    }

    /// `None` when absent; NULL counts as absent.
    pub fn get(&self, name: &str) -> Option<&'a AttributeValue> {
        self.attributes.get(name).filter(|v| !v.is_null())
    }

    /// A present (non-NULL) attribute, or `is missing`.
    pub fn required(&self, name: &str) -> ReadResult<&'a AttributeValue> {
        self.get(name)
            .ok_or_else(|| self.corrupt(name, "is missing"))
    }

    /// `value` (attribute `name`) as a string, or `is not a string (S)`.
    pub fn str_of(&self, name: &str, value: &'a AttributeValue) -> ReadResult<&'a str> {
        value
            .as_s()
            .map(String::as_str)
            .map_err(|_| self.corrupt(name, "is not a string (S)"))
    }

    /// A required string.
    pub fn str(&self, name: &str) -> ReadResult<&'a str> {
        self.str_of(name, self.required(name)?)
    }

    /// A required string, owned.
    pub fn string(&self, name: &str) -> ReadResult<String> {
        self.str(name).map(str::to_string)
    }

    /// An optional string.
    pub fn opt_string(&self, name: &str) -> ReadResult<Option<String>> {
        self.get(name)
            .map(|v| self.str_of(name, v).map(str::to_string))
            .transpose()
    }

    /// A required string that `parse` accepts, or `is not a valid {what}`.
    pub fn parsed<T>(
        &self,
        name: &str,
        what: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> ReadResult<T> {
        parse(self.str(name)?).ok_or_else(|| self.corrupt(name, &format!("is not a valid {what}")))
    }

    /// An optional string that `parse` accepts.
    pub fn opt_parsed<T>(
        &self,
        name: &str,
        what: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> ReadResult<Option<T>> {
        match self.get(name) {
            None => Ok(None),
            Some(_) => self.parsed(name, what, parse).map(Some),
        }
    }

    /// A required RFC 3339 time.
    pub fn time(&self, name: &str) -> ReadResult<DateTime<Utc>> {
        self.parsed(name, "RFC 3339 timestamp", parse_time)
    }

    /// An optional RFC 3339 time.
    pub fn opt_time(&self, name: &str) -> ReadResult<Option<DateTime<Utc>>> {
        self.opt_parsed(name, "RFC 3339 timestamp", parse_time)
    }

    /// `value` (attribute `name`) as a number of type `T`, or `is not a number (N)` / `is out of
    /// range`.
    pub fn number_of<T: FromStr>(&self, name: &str, value: &AttributeValue) -> ReadResult<T> {
        let text = value
            .as_n()
            .map_err(|_| self.corrupt(name, "is not a number (N)"))?;
        text.parse()
            .map_err(|_| self.corrupt(name, "is out of range"))
    }

    /// A required number.
    pub fn number<T: FromStr>(&self, name: &str) -> ReadResult<T> {
        self.number_of(name, self.required(name)?)
    }

    /// A required number in `0..=max` (counters that are incremented: never an overflow).
    pub fn number_at_most<T: FromStr + PartialOrd + Display>(
        &self,
        name: &str,
        max: T,
    ) -> ReadResult<T> {
        let value: T = self.number(name)?;
        if value > max {
            return Err(self.corrupt(name, &format!("is outside 0..={max}")));
        }
        Ok(value)
    }

    /// An optional number.
    pub fn opt_number<T: FromStr>(&self, name: &str) -> ReadResult<Option<T>> {
        self.get(name).map(|v| self.number_of(name, v)).transpose()
    }

    /// A required boolean, or `is not a boolean (BOOL)`.
    pub fn boolean(&self, name: &str) -> ReadResult<bool> {
        self.required(name)?
            .as_bool()
            .copied()
            .map_err(|_| self.corrupt(name, "is not a boolean (BOOL)"))
    }

    /// A required list, or `is not a list (L)`.
    pub fn list(&self, name: &str) -> ReadResult<&'a [AttributeValue]> {
        self.required(name)?
            .as_l()
            .map(Vec::as_slice)
            .map_err(|_| self.corrupt(name, "is not a list (L)"))
    }

    /// A required list of strings.
    pub fn strings(&self, name: &str) -> ReadResult<Vec<String>> {
        self.list(name)?
            .iter()
            .map(|v| self.str_of(name, v).map(str::to_string))
            .collect()
    }

    /// A required list of strings that `parse` accepts, or `holds an invalid {what}`.
    pub fn parsed_list<T>(
        &self,
        name: &str,
        what: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> ReadResult<Vec<T>> {
        let parse_one = |v| {
            parse(self.str_of(name, v)?)
                .ok_or_else(|| self.corrupt(name, &format!("holds an invalid {what}")))
        };
        self.list(name)?.iter().map(parse_one).collect()
    }

    /// A required list of numbers.
    pub fn numbers<T: FromStr>(&self, name: &str) -> ReadResult<Vec<T>> {
        self.list(name)?
            .iter()
            .map(|v| self.number_of(name, v))
            .collect()
    }

    /// A reader of map `value` (attribute `name`), whose paths start `name.`; or `is not a map
    /// (M)`.
    pub fn nested(&self, name: &str, value: &'a AttributeValue) -> ReadResult<Reader<'a>> {
        let attributes = value
            .as_m()
            .map_err(|_| self.corrupt(name, "is not a map (M)"))?;
        Ok(Reader {
            attributes,
            label: self.label,
            integration: self.integration,
            path: format!("{}{name}.", self.path),
        })
    }

    /// A reader of a required map.
    pub fn map(&self, name: &str) -> ReadResult<Reader<'a>> {
        self.nested(name, self.required(name)?)
    }

    /// A reader of an optional map.
    pub fn opt_map(&self, name: &str) -> ReadResult<Option<Reader<'a>>> {
        self.get(name).map(|v| self.nested(name, v)).transpose()
    }
}
