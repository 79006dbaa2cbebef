//! `label_replace` and `label_join`: they rewrite series labels, not values.

use flint_model::Regex;
use flint_model::relabel::expand_template;

use crate::error::{Error, Result};
use crate::eval::cleanup::merge_same_labels;
use crate::eval::{Ctx, Grid, Value};
use crate::parser::{Call, Expr};

/// A string argument that must be a valid UTF-8 label name, else `err`.
fn label_arg<'a>(call: &'a Call, i: usize, what: &str) -> Result<&'a str> {
    match call.args.get(i).map(Expr::unparen) {
        Some(Expr::String(s)) if s.is_valid_utf8() && !s.value.is_empty() => Ok(&s.value),
        Some(Expr::String(s)) => Err(Error::exec(format!("{what}: {}", raw(s)))),
        _ => Err(Error::exec(format!("{what}: missing"))),
    }
}

fn raw(s: &crate::parser::StringLiteral) -> String {
    match &s.bytes {
        Some(b) => String::from_utf8_lossy(b).into_owned(),
        None => s.value.clone(),
    }
}

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(ctx: &Ctx<'_>, name: &str, call: &Call, grid: &Grid) -> Result<Option<Value>> {
    match name {
        "label_replace" => label_replace(ctx, call, grid).map(Some),
        "label_join" => label_join(ctx, call, grid).map(Some),
        _ => Ok(None),
    }
}

fn label_replace(ctx: &Ctx<'_>, call: &Call, grid: &Grid) -> Result<Value> {
    let repl = super::string_arg(call, 2)?;
    let src = super::string_arg(call, 3)?;
    let pattern = super::string_arg(call, 4)?;
    let re = Regex::new_anchored(pattern).map_err(|_| {
        Error::exec(format!(
            "invalid regular expression in label_replace(): {pattern}"
        ))
    })?;
    let dst = label_arg(call, 1, "invalid destination label name in label_replace()")?;
    let mut v = ctx.eval_vector(&call.args[0], grid)?;
    for s in &mut v {
        let value = s.labels.get(src).unwrap_or("");
        let Some(caps) = re.captures(value) else {
            continue;
        };
        let mut out = String::new();
        expand_template(repl, &caps, &mut out);
        let mut b = s.labels.builder();
        b.set(dst, out);
        s.labels = b.build();
        if dst == "__name__" {
            s.drop_name = false;
        }
    }
    merge_same_labels(v).map(Value::Vector)
}

fn label_join(ctx: &Ctx<'_>, call: &Call, grid: &Grid) -> Result<Value> {
    let sep = super::string_arg(call, 2)?;
    let mut srcs = Vec::new();
    for i in 3..call.args.len() {
        srcs.push(label_arg(
            call,
            i,
            "invalid source label name in label_join()",
        )?);
    }
    let dst = label_arg(call, 1, "invalid destination label name in label_join()")?;
    let mut v = ctx.eval_vector(&call.args[0], grid)?;
    for s in &mut v {
        let joined = srcs
            .iter()
            .map(|l| s.labels.get(l).unwrap_or(""))
            .collect::<Vec<_>>()
            .join(sep);
        let mut b = s.labels.builder();
        b.set(dst, joined);
        s.labels = b.build();
        if dst == "__name__" {
            s.drop_name = false;
        }
    }
    merge_same_labels(v).map(Value::Vector)
}
