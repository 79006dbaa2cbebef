//! The value model: what templates evaluate, standing in for Go's reflection.
//!
//! Go templates work on arbitrary Go values through reflection. Here every value is a
//! [`Value`]: the basic kinds (`bool`, integers, floats, strings), the content-typed strings of
//! `html/template` ([`Value::Safe`]), lists, string-keyed maps, times and durations, functions,
//! and [`Object`]s: host types that expose fields and methods (Alertmanager's `KV` with
//! `SortedPairs`, `Alerts` with `Firing`, Prometheus's query results, …). Values are cheap to
//! clone (reference-counted).

use std::any::Any;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::error::FuncError;
use crate::func::Signature;
use crate::gotime::{Duration, Time};

/// A template value.
#[derive(Clone, Default)]
pub enum Value {
    /// No value: a missing map key, nil data, an untyped `nil`. Prints as `<no value>` in
    /// template output and `<nil>` inside `print`/`printf`.
    #[default]
    Nil,
    /// A boolean.
    Bool(bool),
    /// A signed integer (Go's `int`).
    Int(i64),
    /// An unsigned integer (Go's `uint64`).
    Uint(u64),
    /// A float (Go's `float64`).
    Float(f64),
    /// A string.
    String(Arc<str>),
    /// A string `html/template` trusts as content of the given type (`safeHtml`, `safeUrl`).
    Safe(Content, Arc<str>),
    /// A list (Go slice).
    List(Arc<List>),
    /// A map with string keys, iterated in key order.
    Map(Arc<Map>),
    /// A point in time with a location (Go's `time.Time`).
    Time(Time),
    /// A span of time (Go's `time.Duration`).
    Duration(Duration),
    /// A host value with fields and methods.
    Object(Arc<dyn Object>),
    /// A function value, for `call`.
    Func(crate::func::Func),
}

/// The content types of `html/template` typed strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Content {
    /// `template.HTML`: a trusted HTML fragment.
    Html,
    /// `template.HTMLAttr`: a trusted attribute (`name="value"`).
    HtmlAttr,
    /// `template.URL`: a trusted URL.
    Url,
    /// `template.JS`: a trusted JavaScript expression.
    Js,
    /// `template.CSS`: trusted CSS.
    Css,
    /// `template.Srcset`: a trusted `srcset` attribute value.
    Srcset,
}

impl Content {
    fn type_name(self) -> &'static str {
        match self {
            Content::Html => "template.HTML",
            Content::HtmlAttr => "template.HTMLAttr",
            Content::Url => "template.URL",
            Content::Js => "template.JS",
            Content::Css => "template.CSS",
            Content::Srcset => "template.Srcset",
        }
    }
}

/// A list of values with a Go type name for messages (`[]string`, `[]interface {}`, …).
#[derive(Clone, Default)]
pub struct List {
    /// The elements.
    pub items: Vec<Value>,
    /// The Go type name, e.g. `[]string`.
    pub type_name: Cow<'static, str>,
}

/// A string-keyed map. `zero` is what a missing key yields under `missingkey=zero`
/// (the element type's zero value: `""` for `map[string]string`).
#[derive(Clone, Default)]
pub struct Map {
    /// The entries, in key order.
    pub entries: BTreeMap<Arc<str>, Value>,
    /// The element type's zero value.
    pub zero: Value,
    /// The Go type name, e.g. `map[string]string`.
    pub type_name: Cow<'static, str>,
}

impl Map {
    /// An empty `map[string]string`.
    pub fn strings() -> Self {
        Map {
            entries: BTreeMap::new(),
            zero: Value::from(""),
            type_name: Cow::Borrowed("map[string]string"),
        }
    }

    /// An empty `map[string]interface {}`.
    pub fn any() -> Self {
        Map {
            entries: BTreeMap::new(),
            zero: Value::Nil,
            type_name: Cow::Borrowed("map[string]interface {}"),
        }
    }

    /// Looks up a key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.get(key)
    }

    /// Adds or replaces an entry.
    pub fn insert(&mut self, key: impl Into<Arc<str>>, value: impl Into<Value>) {
        self.entries.insert(key.into(), value.into());
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A host type visible to templates: fields, methods, and optionally the behaviour of an
/// underlying map, list or basic value (as a Go named type like `type KV map[string]string`).
///
/// Lookup follows Go: `.Name` first tries a method, then a field (struct-like objects) or a
/// key (map-like objects, through [`Object::as_map`]).
pub trait Object: Send + Sync + 'static {
    /// The Go type name, used in messages (`template.KV`, `*template.sample`).
    fn type_name(&self) -> Cow<'_, str>;

    /// The signature of method `name`, if the type has one.
    fn method(&self, name: &str) -> Option<Signature> {
        let _ = name;
        None
    }

    /// Calls method `name` (only called after [`Object::method`] returned a signature; the
    /// arguments are checked against it).
    fn call_method(&self, name: &str, args: Vec<Value>) -> Result<Value, FuncError> {
        let _ = args;
        Err(FuncError(format!("no method {name}")))
    }

    /// The value of struct field `name`.
    fn field(&self, name: &str) -> Option<Value> {
        let _ = name;
        None
    }

    /// The struct fields in declaration order, for printing (`{a b}`) and JSON.
    fn fields(&self) -> Vec<(Cow<'_, str>, Value)> {
        Vec::new()
    }

    /// The underlying map, for a map type: keys, `index`, `len`, `range` and printing use it.
    fn as_map(&self) -> Option<&Map> {
        None
    }

    /// The underlying list, for a slice type.
    fn as_list(&self) -> Option<&[Value]> {
        None
    }

    /// The underlying basic value for a named basic type (`time.Month` is an `int`), used by
    /// comparisons and truth.
    fn as_basic(&self) -> Option<Value> {
        None
    }

    /// The `String()` method's result (Go's `fmt.Stringer`), used by printing.
    fn to_go_string(&self) -> Option<String> {
        None
    }

    /// The value `toJson` encodes (defaults to the map, list or fields).
    fn to_json_value(&self) -> Option<Value> {
        None
    }

    /// Whether printing shows `&` before the struct (a pointer type).
    fn is_pointer(&self) -> bool {
        false
    }

    /// For downcasting in host functions.
    fn as_any(&self) -> &dyn Any;
}

impl Value {
    /// A `[]interface {}` list.
    pub fn list(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(Arc::new(List {
            items: items.into_iter().collect(),
            type_name: Cow::Borrowed("[]interface {}"),
        }))
    }

    /// A list with a Go type name.
    pub fn typed_list(items: Vec<Value>, type_name: &'static str) -> Value {
        Value::List(Arc::new(List {
            items,
            type_name: Cow::Borrowed(type_name),
        }))
    }

    /// A `[]string`.
    pub fn strings<S: Into<Arc<str>>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::List(Arc::new(List {
            items: items.into_iter().map(|s| Value::String(s.into())).collect(),
            type_name: Cow::Borrowed("[]string"),
        }))
    }

    /// A `map[string]string`.
    pub fn string_map<K: Into<Arc<str>>, V: Into<Arc<str>>>(
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> Value {
        let mut m = Map::strings();
        for (k, v) in entries {
            m.entries.insert(k.into(), Value::String(v.into()));
        }
        Value::Map(Arc::new(m))
    }

    /// A `map[string]interface {}`.
    pub fn map<K: Into<Arc<str>>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        let mut m = Map::any();
        for (k, v) in entries {
            m.entries.insert(k.into(), v);
        }
        Value::Map(Arc::new(m))
    }

    /// A host object.
    pub fn object(o: impl Object) -> Value {
        Value::Object(Arc::new(o))
    }

    /// Whether this is [`Value::Nil`].
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// The string content of a string value (plain or content-typed).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::Safe(_, s) => Some(s),
            _ => None,
        }
    }

    /// The elements of a list or list-like object.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(&l.items),
            Value::Object(o) => o.as_list(),
            _ => None,
        }
    }

    /// The map of a map or map-like object.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            Value::Object(o) => o.as_map(),
            _ => None,
        }
    }

    /// Downcasts an object to a host type.
    pub fn downcast<T: 'static>(&self) -> Option<&T> {
        match self {
            Value::Object(o) => o.as_any().downcast_ref::<T>(),
            _ => None,
        }
    }

    /// The Go type name (`int`, `string`, `[]string`, `time.Time`, …); `<nil>` for no value.
    pub fn type_name(&self) -> Cow<'_, str> {
        match self {
            Value::Nil => Cow::Borrowed("<nil>"),
            Value::Bool(_) => Cow::Borrowed("bool"),
            Value::Int(_) => Cow::Borrowed("int"),
            Value::Uint(_) => Cow::Borrowed("uint64"),
            Value::Float(_) => Cow::Borrowed("float64"),
            Value::String(_) => Cow::Borrowed("string"),
            Value::Safe(c, _) => Cow::Borrowed(c.type_name()),
            Value::List(l) => Cow::Borrowed(&l.type_name),
            Value::Map(m) => Cow::Borrowed(&m.type_name),
            Value::Time(_) => Cow::Borrowed("time.Time"),
            Value::Duration(_) => Cow::Borrowed("time.Duration"),
            Value::Object(o) => o.type_name(),
            Value::Func(_) => Cow::Borrowed("func"),
        }
    }

    /// The value seen through named basic types (`time.Month` → `int`): what comparisons use.
    pub(crate) fn basic(&self) -> Cow<'_, Value> {
        match self {
            Value::Object(o) => match o.as_basic() {
                Some(v) => Cow::Owned(v),
                None => Cow::Borrowed(self),
            },
            Value::Duration(d) => Cow::Owned(Value::Int(d.0)),
            _ => Cow::Borrowed(self),
        }
    }

    /// Go's truth: false, 0, nil, and empty strings, lists and maps are false.
    pub fn is_true(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Uint(u) => *u != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) | Value::Safe(_, s) => !s.is_empty(),
            Value::List(l) => !l.items.is_empty(),
            Value::Map(m) => !m.entries.is_empty(),
            Value::Time(_) => true,
            Value::Duration(d) => d.0 != 0,
            Value::Func(_) => true,
            Value::Object(o) => {
                if let Some(m) = o.as_map() {
                    !m.entries.is_empty()
                } else if let Some(l) = o.as_list() {
                    !l.is_empty()
                } else if let Some(b) = o.as_basic() {
                    b.is_true()
                } else {
                    true
                }
            }
        }
    }

    /// Whether `len` is zero (or the value has no length).
    pub fn is_empty(&self) -> bool {
        self.len().is_none_or(|n| n == 0)
    }

    /// The number of elements (strings count bytes, as Go's `len`).
    pub fn len(&self) -> Option<usize> {
        match self {
            Value::String(s) | Value::Safe(_, s) => Some(s.len()),
            Value::List(l) => Some(l.items.len()),
            Value::Map(m) => Some(m.entries.len()),
            Value::Object(o) => o
                .as_map()
                .map(Map::len)
                .or_else(|| o.as_list().map(<[Value]>::len)),
            _ => None,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({})",
            self.type_name(),
            crate::gofmt::sprint(std::slice::from_ref(self))
        )
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(Arc::from(s))
    }
}

impl From<Arc<str>> for Value {
    fn from(s: Arc<str>) -> Self {
        Value::String(s)
    }
}

impl From<&Arc<str>> for Value {
    fn from(s: &Arc<str>) -> Self {
        Value::String(s.clone())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i64::from(i))
    }
}

impl From<usize> for Value {
    fn from(i: usize) -> Self {
        Value::Int(i as i64)
    }
}

impl From<u64> for Value {
    fn from(u: u64) -> Self {
        Value::Uint(u)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<Time> for Value {
    fn from(t: Time) -> Self {
        Value::Time(t)
    }
}

impl From<Duration> for Value {
    fn from(d: Duration) -> Self {
        Value::Duration(d)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Value::list(items)
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Map(Arc::new(m))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map_or(Value::Nil, Into::into)
    }
}

/// A plain struct: a type name and named fields, for host data without methods
/// (Alertmanager's `Alert`, Prometheus's alert template data).
#[derive(Clone)]
pub struct Struct {
    type_name: Cow<'static, str>,
    fields: Vec<(&'static str, Value)>,
    pointer: bool,
}

impl Struct {
    /// A struct value of type `type_name`.
    pub fn new(type_name: impl Into<Cow<'static, str>>) -> Self {
        Struct {
            type_name: type_name.into(),
            fields: Vec::new(),
            pointer: false,
        }
    }

    /// Adds a field.
    pub fn field(mut self, name: &'static str, value: impl Into<Value>) -> Self {
        self.fields.push((name, value.into()));
        self
    }

    /// Marks the value as a pointer to the struct (printed `&{…}`).
    pub fn pointer(mut self) -> Self {
        self.pointer = true;
        self
    }

    /// The struct as a value.
    pub fn into_value(self) -> Value {
        Value::Object(Arc::new(self))
    }
}

impl Object for Struct {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.type_name)
    }

    fn field(&self, name: &str) -> Option<Value> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }

    fn fields(&self) -> Vec<(Cow<'_, str>, Value)> {
        self.fields
            .iter()
            .map(|(n, v)| (Cow::Borrowed(*n), v.clone()))
            .collect()
    }

    fn is_pointer(&self) -> bool {
        self.pointer
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_stay_small() {
        // Results of every evaluation step carry a Value; keep it at four words.
        assert!(std::mem::size_of::<super::Value>() <= 32);
    }
}
