//! Log lines as Prometheus 3 prints them (`--log.format`): logfmt
//! (`time=2024-11-13T10:00:00.000Z level=INFO source=main.rs:42 msg="Server is ready"
//! key=value`) or one JSON object per line with the same keys in the same order.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// A field value, typed for JSON.
#[derive(Debug)]
enum Val {
    Str(String),
    Num(String),
    Bool(bool),
}

#[derive(Debug, Default)]
struct Fields {
    msg: String,
    rest: Vec<(&'static str, Val)>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.msg = value.to_string();
        } else {
            self.rest.push((field.name(), Val::Str(value.to_string())));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.rest.push((field.name(), Val::Num(value.to_string())));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.rest.push((field.name(), Val::Num(value.to_string())));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        let v = if value.is_finite() {
            Val::Num(value.to_string())
        } else {
            Val::Str(value.to_string())
        };
        self.rest.push((field.name(), v));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.rest.push((field.name(), Val::Bool(value)));
    }
}

/// The event formatter of `--log.format`.
#[derive(Debug, Clone, Copy)]
pub struct PromFormat {
    json: bool,
}

impl PromFormat {
    /// `logfmt` (the default) or `json`.
    pub fn new(format: &str) -> Self {
        PromFormat {
            json: format == "json",
        }
    }
}

fn level(l: Level) -> &'static str {
    match l {
        Level::ERROR => "ERROR",
        Level::WARN => "WARN",
        Level::INFO => "INFO",
        _ => "DEBUG",
    }
}

/// Whether slog's text handler would quote `s`.
fn needs_quoting(s: &str) -> bool {
    s.is_empty()
        || s.chars()
            .any(|c| c == ' ' || c == '=' || c == '"' || c.is_control() || c.is_whitespace())
}

/// A Go-style quoted string (`strconv.Quote` for the characters that matter here).
fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn logfmt_value(out: &mut String, s: &str) {
    if needs_quoting(s) {
        quote(out, s);
    } else {
        out.push_str(s);
    }
}

/// One formatted line (without the newline).
fn line(json: bool, time: &str, lvl: &str, source: &str, f: &Fields) -> String {
    let mut out = String::with_capacity(128);
    if json {
        let q = |s: &str| serde_json::Value::from(s).to_string();
        let _ = write!(
            out,
            "{{\"time\":{},\"level\":{},\"source\":{},\"msg\":{}",
            q(time),
            q(lvl),
            q(source),
            q(&f.msg)
        );
        for (k, v) in &f.rest {
            let v = match v {
                Val::Str(s) => q(s),
                Val::Num(n) => n.clone(),
                Val::Bool(b) => b.to_string(),
            };
            let _ = write!(out, ",{}:{v}", q(k));
        }
        out.push('}');
    } else {
        let _ = write!(out, "time={time} level={lvl} source={source} msg=");
        logfmt_value(&mut out, &f.msg);
        for (k, v) in &f.rest {
            out.push(' ');
            out.push_str(k);
            out.push('=');
            match v {
                Val::Str(s) => logfmt_value(&mut out, s),
                Val::Num(n) => out.push_str(n),
                Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            }
        }
    }
    out
}

impl<S, N> FormatEvent<S, N> for PromFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let file = meta
            .file()
            .map(|f| f.rsplit('/').next().unwrap_or(f))
            .unwrap_or("");
        let source = format!("{file}:{}", meta.line().unwrap_or(0));
        let time = flint_scrape::failure_log::timestamp(std::time::SystemTime::now());
        writeln!(
            writer,
            "{}",
            line(self.json, &time, level(*meta.level()), &source, &fields)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        Fields {
            msg: "Server is ready to receive web requests.".into(),
            rest: vec![
                ("file", Val::Str("/etc/prometheus.yml".into())),
                ("n", Val::Num("3".into())),
                ("err", Val::Str("a \"b\"".into())),
                ("empty", Val::Str(String::new())),
                ("ok", Val::Bool(true)),
            ],
        }
    }

    #[test]
    fn logfmt_as_slog_writes_it() {
        let l = line(
            false,
            "2024-11-13T10:00:00.000Z",
            "INFO",
            "main.rs:4",
            &fields(),
        );
        assert_eq!(
            l,
            r#"time=2024-11-13T10:00:00.000Z level=INFO source=main.rs:4 msg="Server is ready to receive web requests." file=/etc/prometheus.yml n=3 err="a \"b\"" empty="" ok=true"#
        );
    }

    #[test]
    fn json_keeps_the_key_order() {
        let l = line(true, "T", "WARN", "x.rs:1", &fields());
        assert!(l.starts_with(r#"{"time":"T","level":"WARN","source":"x.rs:1","msg":"Server"#));
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["n"], 3);
        assert_eq!(v["ok"], true);
        assert_eq!(v["err"], "a \"b\"");
    }
}
