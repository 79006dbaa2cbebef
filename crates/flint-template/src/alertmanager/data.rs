//! Alertmanager's notification template data: `Data`, `Alert`, `KV` with `SortedPairs`,
//! `Names`, `Values`, `Remove`, `Pairs`, and `Alerts` with `Firing` and `Resolved`.

use std::any::Any;
use std::borrow::Cow;
use std::sync::Arc;

use crate::error::FuncError;
use crate::func::{Param, Signature};
use crate::gotime::Time;
use crate::value::{Map, Object, Struct, Value};

/// A label or annotation set (Alertmanager's `template.KV`, a `map[string]string`). Cheap
/// to clone, and to turn into a template value.
#[derive(Clone)]
pub struct Kv(Arc<KvMap>);

/// The shared map behind a [`Kv`]; the template object itself.
#[derive(Clone)]
struct KvMap(Map);

impl std::ops::Deref for KvMap {
    type Target = Map;
    fn deref(&self) -> &Map {
        &self.0
    }
}

impl std::ops::DerefMut for KvMap {
    fn deref_mut(&mut self) -> &mut Map {
        &mut self.0
    }
}

impl Default for Kv {
    fn default() -> Self {
        Self::new()
    }
}

impl Kv {
    /// An empty set.
    pub fn new() -> Self {
        Kv(Arc::new(KvMap(Map::strings())))
    }

    /// Adds or replaces a pair.
    pub fn insert(&mut self, name: impl Into<Arc<str>>, value: impl Into<Arc<str>>) {
        Arc::make_mut(&mut self.0)
            .entries
            .insert(name.into(), Value::String(value.into()));
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .entries
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_str().unwrap_or("")))
    }

    /// The pairs sorted by name, `alertname` first (what `SortedPairs` returns).
    pub fn sorted_pairs(&self) -> Vec<(Arc<str>, Value)> {
        sorted_pairs(&self.0)
    }

    /// A copy without the given names.
    pub fn remove(&self, names: &[&str]) -> Kv {
        remove(&self.0, names)
    }

    /// The set as a template value.
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }

    /// The set as a template value, without consuming it.
    pub fn to_value(&self) -> Value {
        Value::Object(self.0.clone())
    }
}

impl<K: Into<Arc<str>>, V: Into<Arc<str>>> FromIterator<(K, V)> for Kv {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut kv = Kv::new();
        for (k, v) in iter {
            kv.insert(k, v);
        }
        kv
    }
}

const NONE: &[Param] = &[];
const STRINGS: &[Param] = &[Param::Strings];

/// `template.Pair`.
struct Pair {
    name: Value,
    value: Value,
}

impl Object for Pair {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("template.Pair")
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Name" => Some(self.name.clone()),
            "Value" => Some(self.value.clone()),
            _ => None,
        }
    }

    fn fields(&self) -> Vec<(Cow<'_, str>, Value)> {
        vec![
            (Cow::Borrowed("Name"), self.name.clone()),
            (Cow::Borrowed("Value"), self.value.clone()),
        ]
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn pairs_value(pairs: Vec<(Arc<str>, Value)>) -> Value {
    let items = pairs
        .into_iter()
        .map(|(k, v)| {
            Value::Object(Arc::new(Pair {
                name: Value::String(k),
                value: v,
            }))
        })
        .collect();
    Value::object(Pairs(items))
}

fn names_of(pairs: &[(Arc<str>, Value)]) -> Value {
    Value::typed_list(
        pairs
            .iter()
            .map(|(k, _)| Value::String(k.clone()))
            .collect(),
        "[]string",
    )
}

fn values_of(pairs: &[(Arc<str>, Value)]) -> Value {
    Value::typed_list(pairs.iter().map(|(_, v)| v.clone()).collect(), "[]string")
}

fn sorted_pairs(m: &Map) -> Vec<(Arc<str>, Value)> {
    let mut out: Vec<(Arc<str>, Value)> = Vec::with_capacity(m.len());
    if let Some((k, v)) = m.entries.get_key_value("alertname") {
        out.push((k.clone(), v.clone()));
    }
    for (k, v) in &m.entries {
        if k.as_ref() != "alertname" {
            out.push((k.clone(), v.clone()));
        }
    }
    out
}

fn remove(m: &Map, names: &[&str]) -> Kv {
    let mut m = m.clone();
    for n in names {
        m.entries.remove(*n);
    }
    Kv(Arc::new(KvMap(m)))
}

impl Object for KvMap {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("template.KV")
    }

    fn method(&self, name: &str) -> Option<Signature> {
        match name {
            "SortedPairs" | "Names" | "Values" => Some(Signature::fixed(NONE)),
            "Remove" => Some(Signature::fixed(STRINGS)),
            _ => None,
        }
    }

    fn call_method(&self, name: &str, args: Vec<Value>) -> Result<Value, FuncError> {
        Ok(match name {
            "SortedPairs" => pairs_value(sorted_pairs(self)),
            "Names" => names_of(&sorted_pairs(self)),
            "Values" => values_of(&sorted_pairs(self)),
            "Remove" => {
                let names: Vec<&str> = args
                    .first()
                    .and_then(Value::as_list)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                remove(self, &names).into_value()
            }
            _ => return Err(FuncError(format!("no method {name}"))),
        })
    }

    fn as_map(&self) -> Option<&Map> {
        Some(&self.0)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `template.Pairs`: what `SortedPairs` returns.
struct Pairs(Vec<Value>);

impl Pairs {
    fn field_strings(&self, field: &str) -> Value {
        Value::typed_list(
            self.0
                .iter()
                .map(|p| match p.downcast::<Pair>() {
                    Some(p) if field == "Name" => p.name.clone(),
                    Some(p) => p.value.clone(),
                    None => Value::Nil,
                })
                .collect(),
            "[]string",
        )
    }
}

impl Object for Pairs {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("template.Pairs")
    }

    fn method(&self, name: &str) -> Option<Signature> {
        matches!(name, "Names" | "Values" | "String").then_some(Signature::fixed(NONE))
    }

    fn call_method(&self, name: &str, _: Vec<Value>) -> Result<Value, FuncError> {
        Ok(match name {
            "Names" => self.field_strings("Name"),
            "Values" => self.field_strings("Value"),
            _ => Value::from(self.to_go_string().unwrap_or_default()),
        })
    }

    fn as_list(&self) -> Option<&[Value]> {
        Some(&self.0)
    }

    fn to_go_string(&self) -> Option<String> {
        let mut s = String::new();
        for (i, p) in self.0.iter().enumerate() {
            if let Value::Object(o) = p {
                if i > 0 {
                    s.push_str(", ");
                }
                let f = |n: &str| {
                    o.field(n)
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                };
                s.push_str(&f("Name"));
                s.push('=');
                s.push_str(&f("Value"));
            }
        }
        Some(s)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// One alert as notification templates see it (`template.Alert`).
#[derive(Clone)]
pub struct Alert {
    /// `firing` or `resolved`.
    pub status: Arc<str>,
    /// The labels.
    pub labels: Kv,
    /// The annotations.
    pub annotations: Kv,
    /// When the alert started.
    pub starts_at: Time,
    /// When it ended (Go's zero time while firing without an end).
    pub ends_at: Time,
    /// The link back to the source.
    pub generator_url: Arc<str>,
    /// The label set's fingerprint, as 16 hex digits.
    pub fingerprint: Arc<str>,
}

impl Object for Alert {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("template.Alert")
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "Status" => Value::String(self.status.clone()),
            "Labels" => self.labels.clone().into_value(),
            "Annotations" => self.annotations.clone().into_value(),
            "StartsAt" => Value::Time(self.starts_at.clone()),
            "EndsAt" => Value::Time(self.ends_at.clone()),
            "GeneratorURL" => Value::String(self.generator_url.clone()),
            "Fingerprint" => Value::String(self.fingerprint.clone()),
            _ => return None,
        })
    }

    fn fields(&self) -> Vec<(Cow<'_, str>, Value)> {
        [
            "Status",
            "Labels",
            "Annotations",
            "StartsAt",
            "EndsAt",
            "GeneratorURL",
            "Fingerprint",
        ]
        .into_iter()
        .map(|n| (Cow::Borrowed(n), self.field(n).unwrap_or_default()))
        .collect()
    }

    fn to_json_value(&self) -> Option<Value> {
        Some(
            Struct::new("template.Alert")
                .field("status", Value::String(self.status.clone()))
                .field("labels", self.labels.clone().into_value())
                .field("annotations", self.annotations.clone().into_value())
                .field("startsAt", Value::Time(self.starts_at.clone()))
                .field("endsAt", Value::Time(self.ends_at.clone()))
                .field("generatorURL", Value::String(self.generator_url.clone()))
                .field("fingerprint", Value::String(self.fingerprint.clone()))
                .into_value(),
        )
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `template.Alerts`, with `Firing` and `Resolved`.
struct Alerts(Vec<Value>);

impl Alerts {
    fn with_status(&self, status: &str) -> Value {
        let items = self
            .0
            .iter()
            .filter(|a| {
                a.downcast::<Alert>()
                    .is_some_and(|a| a.status.as_ref() == status)
            })
            .cloned()
            .collect();
        Value::typed_list(items, "[]template.Alert")
    }
}

impl Object for Alerts {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("template.Alerts")
    }

    fn method(&self, name: &str) -> Option<Signature> {
        matches!(name, "Firing" | "Resolved").then_some(Signature::fixed(NONE))
    }

    fn call_method(&self, name: &str, _: Vec<Value>) -> Result<Value, FuncError> {
        Ok(self.with_status(if name == "Firing" {
            "firing"
        } else {
            "resolved"
        }))
    }

    fn as_list(&self) -> Option<&[Value]> {
        Some(&self.0)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The data of one notification (Alertmanager's `template.Data`).
#[derive(Clone)]
pub struct Data {
    receiver: Arc<str>,
    status: Arc<str>,
    alerts: Value,
    group_labels: Kv,
    common_labels: Kv,
    common_annotations: Kv,
    external_url: Arc<str>,
}

impl Data {
    /// Assembles the data as Alertmanager does: the receiver name regex-quoted (Go's
    /// `regexp.QuoteMeta`), status `firing` if any alert fires, and the labels and annotations
    /// common to all alerts.
    pub fn new(receiver: &str, group_labels: Kv, alerts: Vec<Alert>, external_url: &str) -> Self {
        let firing = alerts.iter().any(|a| a.status.as_ref() == "firing");
        let (common_labels, common_annotations) = common(&alerts);
        Data {
            receiver: Arc::from(quote_meta(receiver)),
            status: Arc::from(if firing { "firing" } else { "resolved" }),
            alerts: Value::object(Alerts(
                alerts
                    .into_iter()
                    .map(|a| Value::Object(Arc::new(a)))
                    .collect(),
            )),
            group_labels,
            common_labels,
            common_annotations,
            external_url: Arc::from(external_url),
        }
    }

    /// The data as a template value.
    pub fn into_value(self) -> Value {
        Value::Object(Arc::new(self))
    }

    /// The (quoted) receiver name.
    pub fn receiver(&self) -> &str {
        &self.receiver
    }

    /// `firing` or `resolved`.
    pub fn status(&self) -> &str {
        &self.status
    }

    /// The alerts, in the order given.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts
            .as_list()
            .unwrap_or(&[])
            .iter()
            .filter_map(|a| a.downcast::<Alert>())
    }

    /// The group labels.
    pub fn group_labels(&self) -> &Kv {
        &self.group_labels
    }

    /// The labels every alert has with the same value.
    pub fn common_labels(&self) -> &Kv {
        &self.common_labels
    }

    /// The annotations every alert has with the same value.
    pub fn common_annotations(&self) -> &Kv {
        &self.common_annotations
    }

    /// The external URL.
    pub fn external_url(&self) -> &str {
        &self.external_url
    }
}

fn common(alerts: &[Alert]) -> (Kv, Kv) {
    let Some(first) = alerts.first() else {
        return (Kv::new(), Kv::new());
    };
    let mut labels = first.labels.clone();
    let mut annotations = first.annotations.clone();
    for a in &alerts[1..] {
        if labels.is_empty() && annotations.is_empty() {
            break;
        }
        // Only copy a set when this alert actually removes something from it.
        if labels.iter().any(|(k, v)| a.labels.get(k) != Some(v)) {
            Arc::make_mut(&mut labels.0)
                .entries
                .retain(|k, v| a.labels.get(k) == v.as_str());
        }
        if annotations
            .iter()
            .any(|(k, v)| a.annotations.get(k) != Some(v))
        {
            Arc::make_mut(&mut annotations.0)
                .entries
                .retain(|k, v| a.annotations.get(k) == v.as_str());
        }
    }
    (labels, annotations)
}

/// Go's `regexp.QuoteMeta`.
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Object for Data {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed("*template.Data")
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "Receiver" => Value::String(self.receiver.clone()),
            "Status" => Value::String(self.status.clone()),
            "Alerts" => self.alerts.clone(),
            "GroupLabels" => self.group_labels.clone().into_value(),
            "CommonLabels" => self.common_labels.clone().into_value(),
            "CommonAnnotations" => self.common_annotations.clone().into_value(),
            "ExternalURL" => Value::String(self.external_url.clone()),
            _ => return None,
        })
    }

    fn fields(&self) -> Vec<(Cow<'_, str>, Value)> {
        [
            "Receiver",
            "Status",
            "Alerts",
            "GroupLabels",
            "CommonLabels",
            "CommonAnnotations",
            "ExternalURL",
        ]
        .into_iter()
        .map(|n| (Cow::Borrowed(n), self.field(n).unwrap_or_default()))
        .collect()
    }

    fn is_pointer(&self) -> bool {
        true
    }

    fn to_json_value(&self) -> Option<Value> {
        Some(
            Struct::new("template.Data")
                .field("receiver", Value::String(self.receiver.clone()))
                .field("status", Value::String(self.status.clone()))
                .field("alerts", self.alerts.clone())
                .field("groupLabels", self.group_labels.clone().into_value())
                .field("commonLabels", self.common_labels.clone().into_value())
                .field(
                    "commonAnnotations",
                    self.common_annotations.clone().into_value(),
                )
                .field("externalURL", Value::String(self.external_url.clone()))
                .into_value(),
        )
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
