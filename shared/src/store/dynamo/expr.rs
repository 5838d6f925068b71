//! Expression helpers: placeholders, conditions, partial updates and Queries, built so that
//! attribute names and values never appear in expression text.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::keys::{Key, PK, describe_key, key_item};
use super::value::Fields;
use crate::store::error::{StoreError, StoreResult};

/// Expression placeholders: `#n0`.. for attribute names, `:v0`.. for values.
#[derive(Default)]
pub struct Expr {
    /// Placeholder -> attribute name.
    pub names: HashMap<String, String>,
    /// Placeholder -> value.
    pub values: HashMap<String, AttributeValue>,
}

impl Expr {
    /// The placeholder of attribute `attribute` (one per name).
    pub fn name(&mut self, attribute: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, a)| *a == attribute) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names
            .insert(placeholder.clone(), attribute.to_string());
        placeholder
    }

    /// A new placeholder for `value`.
    pub fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }
}

/// Condition: the item exists.
pub fn exists(expr: &mut Expr) -> String {
    format!("attribute_exists({})", expr.name(PK))
}

/// Condition: no item with this key yet.
pub fn absent(expr: &mut Expr) -> String {
    format!("attribute_not_exists({})", expr.name(PK))
}

/// A partial, conditional update of one item.
pub struct UpdateSpec {
    /// The item's key.
    pub key: Key,
    /// Its placeholders.
    pub expr: Expr,
    set: Vec<String>,
    add: Vec<String>,
    remove: Vec<String>,
    /// The condition, if any (ANDed parts).
    pub condition: Option<String>,
}

impl UpdateSpec {
    /// An update of the item keyed `key` that changes nothing yet.
    pub fn new(key: Key) -> Self {
        UpdateSpec {
            key,
            expr: Expr::default(),
            set: Vec::new(),
            add: Vec::new(),
            remove: Vec::new(),
            condition: None,
        }
    }

    /// SETs `attribute` to `value`.
    pub fn set(mut self, attribute: &str, value: AttributeValue) -> Self {
        let (name, value) = (self.expr.name(attribute), self.expr.value(value));
        self.set.push(format!("{name} = {value}"));
        self
    }

    /// Adds a SET clause written with this update's placeholders (`#n = #n + :v`).
    pub fn push_set(&mut self, clause: String) {
        self.set.push(clause);
    }

    /// SETs `attribute` to `value` unless it has one.
    pub fn set_if_absent(mut self, attribute: &str, value: AttributeValue) -> Self {
        let (name, value) = (self.expr.name(attribute), self.expr.value(value));
        self.set
            .push(format!("{name} = if_not_exists({name}, {value})"));
        self
    }

    /// SETs the present fields, REMOVEs the absent ones.
    pub fn fields(self, fields: Fields) -> Self {
        fields
            .into_iter()
            .fold(self, |update, (attribute, value)| match value {
                Some(value) => update.set(attribute, value),
                None => update.remove(attribute),
            })
    }

    /// ADDs `value` (a number) to `attribute` (0 when absent).
    pub fn add(mut self, attribute: &str, value: AttributeValue) -> Self {
        let (name, value) = (self.expr.name(attribute), self.expr.value(value));
        self.add.push(format!("{name} {value}"));
        self
    }

    /// REMOVEs `attribute`.
    pub fn remove(mut self, attribute: &str) -> Self {
        let name = self.expr.name(attribute);
        self.remove.push(name);
        self
    }

    /// ANDs a condition, built with this update's placeholders.
    pub fn condition(mut self, make: impl FnOnce(&mut Expr) -> String) -> Self {
        let condition = make(&mut self.expr);
        self.condition = Some(match self.condition.take() {
            Some(existing) => format!("({existing}) AND ({condition})"),
            None => condition,
        });
        self
    }

    /// The update expression, `SET … ADD … REMOVE …`.
    pub fn expression(&self) -> String {
        let mut clauses = Vec::new();
        if !self.set.is_empty() {
            clauses.push(format!("SET {}", self.set.join(", ")));
        }
        if !self.add.is_empty() {
            clauses.push(format!("ADD {}", self.add.join(", ")));
        }
        if !self.remove.is_empty() {
            clauses.push(format!("REMOVE {}", self.remove.join(", ")));
        }
        clauses.join(" ")
    }

    /// This update as one item of a TransactWriteItems on `table`. A request the SDK cannot
    /// build is [`StoreError::Permanent`].
    pub fn transact(self, table: &str) -> StoreResult<TransactWriteItem> {
        let update = Update::builder()
            .table_name(table)
            .set_key(Some(key_item(&self.key)))
            .update_expression(self.expression())
            .set_condition_expression(self.condition)
            .set_expression_attribute_names(Some(self.expr.names))
            .set_expression_attribute_values(Some(self.expr.values).filter(|v| !v.is_empty()))
            .build()
            .map_err(|err| {
                StoreError::permanent(format!(
                    "DynamoDB TransactWriteItems on table {table} ({}): {err}",
                    describe_key(&self.key),
                ))
            })?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

/// A Query of one partition.
#[derive(Clone, Copy)]
pub struct Query<'a> {
    /// The index to query, `None` for the table.
    pub index: Option<&'a str>,
    /// The partition key's value.
    pub pk: &'a str,
    /// Only sort keys starting with this.
    pub sk_prefix: Option<&'a str>,
    /// Only sort keys in `[low, high]` (text order; DynamoDB's `BETWEEN`).
    pub sk_range: Option<(&'a str, &'a str)>,
    /// Descending sort-key order.
    pub newest_first: bool,
    /// At most this many items.
    pub limit: Option<usize>,
    /// Only the key attributes.
    pub keys_only: bool,
}

impl<'a> Query<'a> {
    /// Every item of partition `pk` of the table, ascending.
    pub fn partition(pk: &'a str) -> Self {
        Query {
            index: None,
            pk,
            sk_prefix: None,
            sk_range: None,
            newest_first: false,
            limit: None,
            keys_only: false,
        }
    }

    /// Only sort keys starting with `sk_prefix`.
    pub fn prefix(self, sk_prefix: &'a str) -> Self {
        Query {
            sk_prefix: Some(sk_prefix),
            ..self
        }
    }

    /// Only sort keys from `low` to `high`, both included, in text order (a key condition
    /// takes one sort-key comparison: `BETWEEN`).
    pub fn between(self, low: &'a str, high: &'a str) -> Self {
        Query {
            sk_range: Some((low, high)),
            ..self
        }
    }

    /// At most `limit` items (ascending unless asked otherwise).
    pub fn at_most(self, limit: usize) -> Self {
        Query {
            limit: Some(limit),
            ..self
        }
    }

    /// Descending, at most `limit` items.
    pub fn newest_first(self, limit: usize) -> Self {
        Query {
            newest_first: true,
            limit: Some(limit),
            ..self
        }
    }
}
