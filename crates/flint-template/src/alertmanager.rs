//! Alertmanager's template functions, notification data and default templates.
//!
//! [`Templates`] is Alertmanager's `template.Template`: a text set and an HTML set, each holding
//! the default templates ([`DEFAULT_TEMPLATES`]) and the user's template files, with
//! [`Templates::execute_text`] / [`Templates::execute_html`] for the per-integration template
//! strings of `alertmanager.yml` (`{{ template "slack.default.title" . }}`).

mod data;

use std::sync::Arc;

use crate::common::{self, A, NONE, S, str_arg};
use crate::error::{Error, FuncError};
use crate::exec::MissingKey;
use crate::func::{Func, FuncMap, Param, Signature};
use crate::gotime::{Duration, Location, Time};
use crate::set::{Mode, TemplateSet};
use crate::value::{Content, Value};

pub use data::{Alert, Data, Kv, quote_meta};

/// The default templates (`slack.default.title`, `email.default.html`, …), written for Flint to
/// produce the texts Alertmanager's defaults produce.
pub const DEFAULT_TEMPLATES: &str = include_str!("alertmanager/default.tmpl");

/// The name the default templates are parsed under (what errors in them mention).
pub const DEFAULT_TEMPLATES_NAME: &str = "default.tmpl";

const JOIN: &[Param] = &[Param::String, Param::Strings];
const DATE: &[Param] = &[Param::String, Param::Time];
const TIME: &[Param] = &[Param::Time];

/// Alertmanager's template functions.
pub fn funcs() -> FuncMap {
    let mut m = FuncMap::new();
    m.insert("toUpper", common::string_fn(common::to_upper));
    m.insert("toLower", common::string_fn(common::to_lower));
    m.insert("title", common::string_fn(|s| common::title(s, true)));
    m.insert("trimSpace", common::string_fn(common::trim_space));
    m.insert(
        "join",
        Func::new(Signature::fixed(JOIN), |a| {
            let items = a.get(1).and_then(Value::as_list).unwrap_or(&[]);
            let parts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            Ok(Value::from(parts.join(str_arg(a, 0))))
        }),
    );
    m.insert("match", common::match_fn());
    m.insert("safeHtml", common::safe(Content::Html));
    m.insert("safeUrl", common::safe(Content::Url));
    m.insert(
        "urlUnescape",
        Func::new(Signature::fixed(S), |a| {
            query_unescape(str_arg(a, 0)).map(Value::from)
        }),
    );
    m.insert("reReplaceAll", common::re_replace_all());
    m.insert(
        "stringSlice",
        Func::new(Signature::variadic(NONE, Param::String), |a| {
            Ok(Value::typed_list(a.to_vec(), "[]string"))
        }),
    );
    time_funcs(&mut m);
    m.insert("humanizeDuration", common::humanize_duration_fn());
    m.insert(
        "toJson",
        Func::new(Signature::fixed(A), |a| {
            crate::json::to_json(a.first().unwrap_or(&Value::Nil)).map(Value::from)
        }),
    );
    m
}

/// `date`, `tz`, `since` and `now`.
fn time_funcs(m: &mut FuncMap) {
    m.insert(
        "date",
        Func::new(Signature::fixed(DATE), |a| match a.get(1) {
            Some(Value::Time(t)) => Ok(Value::from(t.format(str_arg(a, 0)))),
            _ => Err(FuncError::new("date needs a time")),
        }),
    );
    m.insert(
        "tz",
        Func::new(Signature::fixed(&[Param::String, Param::Time]), |a| {
            let loc = Location::load(str_arg(a, 0))?;
            match a.get(1) {
                Some(Value::Time(t)) => Ok(Value::Time(t.in_location(loc))),
                _ => Err(FuncError::new("tz needs a time")),
            }
        }),
    );
    m.insert(
        "since",
        Func::new(Signature::fixed(TIME), |a| match a.first() {
            Some(Value::Time(t)) => {
                let now = jiff::Timestamp::now().as_nanosecond();
                let d = now - t.timestamp().as_nanosecond();
                Ok(Value::Duration(Duration(
                    d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
                )))
            }
            _ => Err(FuncError::new("since needs a time")),
        }),
    );
    m.insert(
        "now",
        Func::new(Signature::fixed(NONE), |_| Ok(Value::Time(Time::now()))),
    );
}

/// Go's `url.QueryUnescape`.
fn query_unescape(s: &str) -> Result<String, FuncError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
                let Some(h) = hex else {
                    let bad = s.get(i..(i + 3).min(s.len())).unwrap_or("%");
                    return Err(FuncError(format!(
                        "invalid URL escape {}",
                        crate::gofmt::quote(bad)
                    )));
                };
                out.push(u8::from_str_radix(h, 16).unwrap_or(0));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Alertmanager's `template.Template`: text and HTML template sets with the default templates
/// and the user's files, executing per-integration template strings.
#[derive(Clone, Debug)]
pub struct Templates {
    text: TemplateSet,
    html: TemplateSet,
}

impl Templates {
    /// The default templates plus every file matching the globs (Alertmanager's `FromGlobs`;
    /// a glob matching nothing is fine). Parse errors name the file.
    pub fn from_globs<P: AsRef<str>>(globs: &[P]) -> Result<Self, Error> {
        let fm = funcs();
        let mut text = TemplateSet::new()
            .with_funcs(&fm)
            .with_missing_key(MissingKey::Zero);
        let mut html = TemplateSet::new()
            .with_mode(Mode::Html)
            .with_funcs(&fm)
            .with_missing_key(MissingKey::Zero);
        text.parse(DEFAULT_TEMPLATES_NAME, DEFAULT_TEMPLATES)?;
        html.parse(DEFAULT_TEMPLATES_NAME, DEFAULT_TEMPLATES)?;
        for g in globs {
            text.parse_glob_allow_empty(g.as_ref())?;
            html.parse_glob_allow_empty(g.as_ref())?;
        }
        Ok(Templates { text, html })
    }

    /// The default templates only.
    pub fn defaults() -> Result<Self, Error> {
        Self::from_globs::<&str>(&[])
    }

    /// Adds a template text under `name` to both sets (as if it were a file of that name).
    pub fn parse(&mut self, name: &str, text: &str) -> Result<(), Error> {
        self.text.parse(name, text)?;
        self.html.parse(name, text)
    }

    /// Executes a template string in text mode (Alertmanager's `ExecuteTextString`).
    pub fn execute_text(&self, text: &str, data: &Value) -> Result<String, Error> {
        self.text.render_text(text, data)
    }

    /// Executes a template string in HTML mode (Alertmanager's `ExecuteHTMLString`).
    pub fn execute_html(&self, text: &str, data: &Value) -> Result<String, Error> {
        self.html.render_text(text, data)
    }

    /// The text-mode set.
    pub fn text_set(&self) -> &TemplateSet {
        &self.text
    }

    /// The HTML-mode set.
    pub fn html_set(&self) -> &TemplateSet {
        &self.html
    }
}

/// Shorthand for an alert's fields, for hosts and tests.
pub fn alert(
    status: &str,
    labels: Kv,
    annotations: Kv,
    starts_at: Time,
    ends_at: Time,
    generator_url: &str,
    fingerprint: &str,
) -> Alert {
    Alert {
        status: Arc::from(status),
        labels,
        annotations,
        starts_at,
        ends_at,
        generator_url: Arc::from(generator_url),
        fingerprint: Arc::from(fingerprint),
    }
}

#[cfg(test)]
mod tests;
