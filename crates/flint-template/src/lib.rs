//! Go's `text/template` and `html/template` languages in Rust, with Prometheus's and
//! Alertmanager's function sets.
//!
//! Templates are parsed once into a [`TemplateSet`] (one namespace of named templates, like a Go
//! `*template.Template` with its associated templates) and executed many times against
//! [`Value`]s. Parsing and execution follow Go: the same grammar (actions, pipelines,
//! variables, `if`/`else if`/`with`/`else with`/`range` with `break`/`continue`/`else`,
//! `define`/`template`/`block`, comments, `{{-`/`-}}` trimming), the same builtins (`printf`
//! with Go's verbs, `eq` with Go's comparison rules, `index`, `slice`, `len`, …), Go's truth,
//! `<no value>` for missing keys (or `missingkey=zero`/`error`), and Go's error messages and
//! positions:
//!
//! ```text
//! template: name:3: unexpected "}" in operand
//! template: name:1:3: executing "name" at <.Foo>: map has no entry for key "Foo"
//! ```
//!
//! Parse errors print as Go prints them (line only, so tools comparing with `promtool` and
//! `amtool` output match); [`ParseError`] also carries the column, and
//! [`ParseError::with_column`] renders `template: name:3:10: unexpected "}" in operand`.
//!
//! ```
//! use flint_template::{TemplateSet, Value};
//!
//! let mut set = TemplateSet::new();
//! set.parse("greet", r#"{{ range $i, $n := . }}{{ if $i }}, {{ end }}{{ $n | printf "%q" }}{{ end }}"#)
//!     .unwrap();
//! let out = set.render("greet", &Value::strings(["a", "b"])).unwrap();
//! assert_eq!(out, r#""a", "b""#);
//! ```
//!
//! # Values and host types
//!
//! A [`Value`] is a basic value (bool, integer, float, string), a list, a string-keyed map, a
//! time ([`Time`], with Go's layouts: `.StartsAt.Format "2006-01-02T15:04:05Z07:00"`) or
//! duration, or an [`Object`]: a host type exposing fields and methods, optionally behaving as a
//! map or list underneath (as Go's `type KV map[string]string` with methods does). Values are
//! reference-counted, so clones are cheap. [`Struct`] builds plain structs.
//!
//! # HTML mode
//!
//! [`TemplateSet::new_html`] gives `html/template` semantics: each action's output is escaped
//! for the HTML context it appears in (text, RCDATA such as `<title>`, attribute names, quoted
//! and unquoted attribute values, URLs with Go's filtering and normalization, and basic script
//! and style contexts), HTML comments in the template are stripped, and `safeHtml`/`safeUrl`
//! values pass as trusted content. The escaping analysis runs once per template and is cached.
//!
//! # Prometheus rules (`flint-rules`)
//!
//! [`prometheus`] holds Prometheus's function set and [`prometheus::AlertTemplate`]: parse each
//! label and annotation template when the rule loads (it gets the `$labels`,
//! `$externalLabels`, `$externalURL` and `$value` variables, is named `__alert_<rule>` and uses
//! `missingkey=zero`, all as Prometheus does), then expand it per alert. The `query` function
//! runs through the [`prometheus::QueryEngine`] trait, which the rules crate implements over
//! its PromQL engine, passed in the [`prometheus::Env`] with the evaluation time and external
//! URL:
//!
//! ```
//! use std::sync::Arc;
//! use flint_template::prometheus::{AlertData, AlertTemplate, Env, QueryEngine, Sample};
//!
//! struct Engine;
//! impl QueryEngine for Engine {
//!     fn query(&self, _expr: &str, _time_ms: i64) -> Result<Vec<Sample>, String> {
//!         Ok(vec![Sample { labels: Default::default(), value: 3.0 }])
//!     }
//! }
//!
//! let t = AlertTemplate::parse(
//!     "HighErrorRate",
//!     r#"{{ $labels.job }} at {{ $value | humanizePercentage }} ({{ query "up" | first | value }} up)"#,
//! )
//! .unwrap();
//! let data = AlertData {
//!     labels: [("job".to_string(), "api".to_string())].into(),
//!     value: 0.0625,
//!     ..AlertData::default()
//! };
//! let env = Env { query: Some(Arc::new(Engine)), time_ms: 0, external_url: "http://prom:9090".into() };
//! assert_eq!(t.expand(&data, &env).unwrap(), "api at 6.25% (3 up)");
//! ```
//!
//! Prometheus wraps failures as `error expanding template __alert_X: …` and counts them in
//! `prometheus_template_text_expansion{s,_failures}_total`; both are the rules crate's to do.
//!
//! # Alertmanager notifications (`flint-alertmanager`)
//!
//! [`alertmanager::Templates`] is Alertmanager's `template.Template`: build it from the
//! `templates:` globs of `alertmanager.yml` when the configuration loads (the default templates,
//! [`alertmanager::DEFAULT_TEMPLATES`], come first), build an [`alertmanager::Data`] per
//! notification, and execute each integration's template strings with it (`execute_html` for
//! email HTML bodies). Parsed template strings are cached, so the same `title:` is not parsed
//! again for the next notification.
//!
//! ```
//! use flint_template::alertmanager::{self, Data, Kv, Templates};
//! use flint_template::Time;
//!
//! let templates = Templates::from_globs::<&str>(&[]).unwrap();
//! let labels: Kv = [("alertname", "Down"), ("job", "node")].into_iter().collect();
//! let alert = alertmanager::alert("firing", labels, Kv::new(), Time::zero(), Time::zero(), "", "");
//! let group: Kv = [("alertname", "Down")].into_iter().collect();
//! let data = Data::new("team", group, vec![alert], "http://am:9093").into_value();
//! let title = templates.execute_text(r#"{{ template "slack.default.title" . }}"#, &data).unwrap();
//! assert_eq!(title, "[FIRING:1] Down (node)");
//! ```
//!
//! # Differences from Go
//!
//! `{{template}}` calls nest at most 1000 deep and within a bounded amount of stack (Go allows
//! 100000 levels); complex constants are rejected; `%x` on floats and pointer addresses are
//! not printed as Go prints them. Features newer than Go 1.19 (`range` over an integer,
//! `else with`) are supported. Everything else is checked against Go 1.19 itself by the
//! differential tests (`tests/it/golang.rs`: hand-written cases, generated templates, token
//! soups, number and string formatting, and every default Alertmanager template in text and
//! HTML mode).
#![deny(missing_docs)]

pub mod alertmanager;
mod ast;
mod builtins;
mod common;
mod error;
mod escape;
mod exec;
mod func;
pub mod gofmt;
pub mod gotime;
mod json;
mod lex;
mod parse;
pub mod prometheus;
mod set;
mod value;

pub use builtins::{path_escape, query_escape};
pub use error::{Error, ExecError, FuncError, ParseError, Result};
pub use exec::MissingKey;
pub use func::{Ctx, Func, FuncMap, Param, Signature};
pub use gotime::{Duration, Location, Time};
pub use json::to_json;
pub use set::{Mode, TemplateSet};
pub use value::{Content, List, Map, Object, Struct, Value};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn shareable_across_threads() {
        assert_send_sync::<TemplateSet>();
        assert_send_sync::<Value>();
        assert_send_sync::<alertmanager::Templates>();
        assert_send_sync::<prometheus::AlertTemplate>();
    }

    #[test]
    fn custom_functions_objects_and_delims() {
        struct Host;
        impl Object for Host {
            fn type_name(&self) -> std::borrow::Cow<'_, str> {
                "main.Host".into()
            }
            fn method(&self, name: &str) -> Option<Signature> {
                (name == "Greet").then_some(Signature::fixed(&[Param::String]))
            }
            fn call_method(
                &self,
                _: &str,
                args: Vec<Value>,
            ) -> std::result::Result<Value, FuncError> {
                Ok(Value::from(format!(
                    "hi {}",
                    args[0].as_str().unwrap_or("")
                )))
            }
            fn field(&self, name: &str) -> Option<Value> {
                (name == "Name").then(|| Value::from("host"))
            }
            fn as_any(&self) -> &dyn std::any::Any {
                self
            }
        }
        let mut funcs = FuncMap::new();
        funcs.insert(
            "double",
            Func::new(Signature::fixed(&[Param::Int]), |a| match a[0] {
                Value::Int(i) => Ok(Value::Int(i * 2)),
                _ => Err(FuncError::new("not an int")),
            }),
        );
        let mut set = TemplateSet::new()
            .with_funcs(&funcs)
            .with_delims("[[", "]]");
        set.parse(
            "t",
            "[[ .Name ]] [[ .Greet ]] [[ double 21 ]] [[ call .F 2 ]] {{ x }}",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let data = Value::map([
            ("Name", Value::from("m")),
            ("Greet", Value::Nil),
            (
                "F",
                Value::Func(funcs.get("double").cloned().unwrap_or_else(|| panic!())),
            ),
        ]);
        assert_eq!(
            set.render("t", &data).ok().as_deref(),
            Some("m <no value> 42 4 {{ x }}")
        );
        set.parse("args", "[[ .Name 1 ]]")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            set.render("args", &data)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some(
                "template: args:1:3: executing \"args\" at <.Name>: Name is not a method but has arguments"
            )
        );
        set.parse("h", "[[ .Name ]] [[ .Greet \"you\" ]]")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            set.render("h", &Value::object(Host)).ok().as_deref(),
            Some("host hi you")
        );
        let e = set.render("h", &Value::Int(1)).err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "template: h:1:3: executing \"h\" at <.Name>: can't evaluate field Name in type int"
            )
        );
        assert_eq!(
            set.render("nope", &Value::Nil)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("template: no template \"nope\" associated with template \"\"")
        );
    }

    #[test]
    fn globs() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("a.tmpl"), "A{{ template \"b.tmpl\" }}")
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("b.tmpl"), "B").unwrap_or_else(|e| panic!("{e}"));
        let mut set = TemplateSet::new();
        set.parse_glob(&format!("{}/*.tmpl", dir.path().display()))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(set.template_names(), vec!["a.tmpl", "b.tmpl"]);
        assert_eq!(
            set.render("a.tmpl", &Value::Nil).ok().as_deref(),
            Some("AB")
        );
        assert_eq!(
            set.defined_templates(),
            "; defined templates are: \"a.tmpl\", \"b.tmpl\""
        );
        let e = set
            .parse_glob("/nonexistent/*.tmpl")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("template: pattern matches no files: `/nonexistent/*.tmpl`")
        );
        let e = set
            .parse_files(&["/nonexistent/x.tmpl"])
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("open /nonexistent/x.tmpl: no such file or directory")
        );
    }
}
