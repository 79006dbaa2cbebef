//! Label sets: typed structs (derive [`LabelSet`]), string values, const labels.

use std::borrow::Borrow;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

use flint_expfmt::EncodeLabels;

/// A typed set of labels identifying one child of a [`Family`](crate::metrics::family::Family).
///
/// Derive it with `#[derive(LabelSet)]` (feature `derive`, on by default); the struct must also
/// derive `Clone, PartialEq, Eq, Hash` so that it can key the family's map:
///
/// ```
/// use flint_client::LabelSet;
/// #[derive(Clone, Debug, PartialEq, Eq, Hash, LabelSet)]
/// struct Labels {
///     method: &'static str,
///     #[label(rename = "code")]
///     status: u16,
/// }
/// assert_eq!(Labels::label_names(), ["method", "code"]);
/// let mut seen = Vec::new();
/// Labels { method: "GET", status: 200 }.visit(&mut |n, v| seen.push(format!("{n}={v}")));
/// assert_eq!(seen, ["method=GET", "code=200"]);
/// ```
pub trait LabelSet: Clone + Eq + Hash + Send + Sync + 'static {
    /// The label names, in output order.
    fn label_names() -> &'static [&'static str];
    /// Calls `f` with each (name, value) pair, in output order.
    fn visit(&self, f: &mut dyn FnMut(&str, &str));
}

/// A type usable as a field of a derived [`LabelSet`].
///
/// ```
/// use flint_client::labels::LabelValue;
/// let mut out = String::new();
/// (-42i32).with_str(&mut |s| out.push_str(s));
/// assert_eq!(out, "-42");
/// ```
pub trait LabelValue {
    /// Calls `f` with the value's text form.
    fn with_str(&self, f: &mut dyn FnMut(&str));
}

impl LabelValue for String {
    fn with_str(&self, f: &mut dyn FnMut(&str)) {
        f(self)
    }
}

impl LabelValue for &'static str {
    fn with_str(&self, f: &mut dyn FnMut(&str)) {
        f(self)
    }
}

impl LabelValue for std::borrow::Cow<'static, str> {
    fn with_str(&self, f: &mut dyn FnMut(&str)) {
        f(self)
    }
}

impl LabelValue for bool {
    fn with_str(&self, f: &mut dyn FnMut(&str)) {
        f(if *self { "true" } else { "false" })
    }
}

/// A fixed stack buffer for formatting integers without allocating.
struct StackBuf {
    buf: [u8; 40],
    len: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

macro_rules! int_label_value {
    ($($t:ty),*) => {$(
        impl LabelValue for $t {
            fn with_str(&self, f: &mut dyn FnMut(&str)) {
                let mut b = StackBuf { buf: [0; 40], len: 0 };
                // 40 bytes hold any 128-bit integer, so this cannot fail.
                let _ = write!(b, "{self}");
                f(std::str::from_utf8(&b.buf[..b.len]).unwrap_or_default())
            }
        }
    )*};
}
int_label_value!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

/// Owned label names plus values, as a `(name, value)` list; used for const labels.
///
/// ```
/// use flint_client::{Registry, labels::ConstLabels, metrics::gauge::Gauge};
/// let labels = ConstLabels::new().with("region", "eu").with("az", "b");
/// let registry = Registry::with_const_labels(labels);
/// registry.register("up", "Up.", Gauge::with_value(1.0)).unwrap();
/// assert!(registry.encode_text().contains("up{region=\"eu\",az=\"b\"} 1\n"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ConstLabels(pub(crate) Vec<(String, String)>);

impl ConstLabels {
    /// No labels.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one label (builder style).
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.push((name.into(), value.into()));
        self
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub(crate) fn extend(&mut self, other: &ConstLabels) {
        self.0.extend(other.0.iter().cloned());
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for ConstLabels {
    fn from_iter<T: IntoIterator<Item = (N, V)>>(iter: T) -> Self {
        ConstLabels(
            iter.into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        )
    }
}

impl EncodeLabels for ConstLabels {
    fn visit(&self, f: &mut dyn FnMut(&str, &str)) {
        for (n, v) in &self.0 {
            f(n, v);
        }
    }
}

/// The key of a string-valued family: label values in declaration order.
#[derive(Debug, Clone)]
pub struct LabelValues(pub(crate) Box<[String]>);

impl LabelValues {
    /// The values, in declaration order.
    pub fn values(&self) -> &[String] {
        &self.0
    }
}

/// A borrowed view of label values so that `&[&str]` can look up a [`LabelValues`] key.
pub(crate) trait ValuesView {
    fn len(&self) -> usize;
    fn get(&self, i: usize) -> &str;
}

impl ValuesView for LabelValues {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn get(&self, i: usize) -> &str {
        self.0.get(i).map(String::as_str).unwrap_or_default()
    }
}

impl<T: AsRef<str>> ValuesView for &[T] {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    fn get(&self, i: usize) -> &str {
        <[T]>::get(self, i).map(AsRef::as_ref).unwrap_or_default()
    }
}

impl Hash for dyn ValuesView + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for i in 0..self.len() {
            state.write(self.get(i).as_bytes());
            state.write_u8(0xff);
        }
    }
}

impl PartialEq for dyn ValuesView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.get(i) == other.get(i))
    }
}

impl Eq for dyn ValuesView + '_ {}

impl Hash for LabelValues {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn ValuesView).hash(state)
    }
}

impl PartialEq for LabelValues {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for LabelValues {}

impl<'a> Borrow<dyn ValuesView + 'a> for LabelValues {
    fn borrow(&self) -> &(dyn ValuesView + 'a) {
        self
    }
}

/// Whether every `(name, value)` in `filter` is present in `labels`.
pub(crate) fn matches(labels: &dyn EncodeLabels, filter: &[(&str, &str)]) -> bool {
    let mut found = 0usize;
    labels.visit(&mut |n, v| {
        if filter.iter().any(|(fnm, fv)| *fnm == n && *fv == v) {
            found += 1;
        }
    });
    found >= filter.len()
}

/// Borrowed `(name, value)` pairs as [`EncodeLabels`], for collectors.
///
/// ```
/// use flint_client::labels::Pairs;
/// use flint_expfmt::EncodeLabels;
/// let mut n = 0;
/// Pairs(&[("a", "1"), ("b", "2")]).visit(&mut |_, _| n += 1);
/// assert_eq!(n, 2);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Pairs<'a>(pub &'a [(&'a str, &'a str)]);

impl EncodeLabels for Pairs<'_> {
    fn visit(&self, f: &mut dyn FnMut(&str, &str)) {
        for (n, v) in self.0 {
            f(n, v);
        }
    }
}
