//! Go's predefined template functions: `and`, `or`, `not`, `len`, `index`, `slice`, `print`,
//! `printf`, `println`, `html`, `js`, `urlquery`, `call` and the comparisons, with Go's
//! comparison rules (integers compare across signedness, other kinds must match).

use std::sync::Arc;

use crate::error::FuncError;
use crate::func::{Ctx, Param, Signature};
use crate::gofmt;
use crate::value::Value;

/// A predefined function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    And,
    Or,
    Not,
    Len,
    Index,
    Slice,
    Print,
    Printf,
    Println,
    Html,
    Js,
    Urlquery,
    Call,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

const ANY: &[Param] = &[Param::Any];
const TWO: &[Param] = &[Param::Any, Param::Any];
const NONE: &[Param] = &[];
const FORMAT: &[Param] = &[Param::String];

impl Builtin {
    pub fn lookup(name: &str) -> Option<Builtin> {
        Some(match name {
            "and" => Builtin::And,
            "or" => Builtin::Or,
            "not" => Builtin::Not,
            "len" => Builtin::Len,
            "index" => Builtin::Index,
            "slice" => Builtin::Slice,
            "print" => Builtin::Print,
            "printf" => Builtin::Printf,
            "println" => Builtin::Println,
            "html" => Builtin::Html,
            "js" => Builtin::Js,
            "urlquery" => Builtin::Urlquery,
            "call" => Builtin::Call,
            "eq" => Builtin::Eq,
            "ne" => Builtin::Ne,
            "lt" => Builtin::Lt,
            "le" => Builtin::Le,
            "gt" => Builtin::Gt,
            "ge" => Builtin::Ge,
            _ => return None,
        })
    }

    pub fn signature(self) -> Signature {
        match self {
            Builtin::And | Builtin::Or | Builtin::Index | Builtin::Slice | Builtin::Call => {
                Signature::variadic(ANY, Param::Any)
            }
            Builtin::Eq => Signature::variadic(ANY, Param::Any),
            Builtin::Not | Builtin::Len => Signature::fixed(ANY),
            Builtin::Print | Builtin::Println | Builtin::Html | Builtin::Js | Builtin::Urlquery => {
                Signature::variadic(NONE, Param::Any)
            }
            Builtin::Printf => Signature::variadic(FORMAT, Param::Any),
            Builtin::Ne | Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge => {
                Signature::fixed(TWO)
            }
        }
    }
}

/// Calls a builtin (`and`/`or` are evaluated lazily by the executor and never reach here).
pub(crate) fn call(b: Builtin, ctx: &Ctx<'_>, args: Vec<Value>) -> Result<Value, FuncError> {
    let a = |i: usize| args.get(i).unwrap_or(&Value::Nil);
    Ok(match b {
        Builtin::And | Builtin::Or => args.last().cloned().unwrap_or_default(),
        Builtin::Not => Value::Bool(!a(0).is_true()),
        Builtin::Len => Value::Int(length(a(0))? as i64),
        Builtin::Index => index(a(0), &args[1..])?,
        Builtin::Slice => slice(a(0), &args[1..])?,
        Builtin::Print => Value::from(gofmt::sprint(&args)),
        Builtin::Println => Value::from(gofmt::sprintln(&args)),
        Builtin::Printf => Value::from(gofmt::sprintf(a(0).as_str().unwrap_or(""), &args[1..])),
        Builtin::Html => Value::from(html_escape(&eval_args(&args))),
        Builtin::Js => Value::from(js_escape(&eval_args(&args))),
        Builtin::Urlquery => Value::from(query_escape(&eval_args(&args))),
        Builtin::Call => call_func(ctx, &args)?,
        Builtin::Eq => Value::Bool(eq(a(0), &args[1..])?),
        Builtin::Ne => Value::Bool(!eq(a(0), &args[1..])?),
        Builtin::Lt => Value::Bool(lt(a(0), a(1))?),
        Builtin::Le => Value::Bool(lt(a(0), a(1))? || eq(a(0), &args[1..])?),
        Builtin::Gt => Value::Bool(!(lt(a(0), a(1))? || eq(a(0), &args[1..])?)),
        Builtin::Ge => Value::Bool(!lt(a(0), a(1))?),
    })
}

/// The string the escaping functions work on: a lone string as is, anything else printed.
pub(crate) fn eval_args(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.to_string();
    }
    let printable: Vec<Value> = args
        .iter()
        .map(|v| {
            if v.is_nil() {
                Value::from("<no value>")
            } else {
                v.clone()
            }
        })
        .collect();
    gofmt::sprint(&printable)
}

fn length(v: &Value) -> Result<usize, FuncError> {
    if v.is_nil() {
        // Go 1.19's reflection fails this way on an untyped nil.
        return Err(FuncError::new(
            "reflect: call of reflect.Value.Type on zero Value",
        ));
    }
    v.len()
        .ok_or_else(|| FuncError(format!("len of type {}", v.type_name())))
}

fn index_arg(v: &Value, cap: usize) -> Result<usize, FuncError> {
    let x: i128 = match v.basic().as_ref() {
        Value::Int(i) => i128::from(*i),
        Value::Uint(u) => i128::from(*u),
        Value::Nil => return Err(FuncError::new("cannot index slice/array with nil")),
        _ => {
            return Err(FuncError(format!(
                "cannot index slice/array with type {}",
                v.type_name()
            )));
        }
    };
    if x < 0 || x > cap as i128 {
        return Err(FuncError(format!("index out of range: {x}")));
    }
    Ok(x as usize)
}

fn index(item: &Value, indexes: &[Value]) -> Result<Value, FuncError> {
    if item.is_nil() {
        return Err(FuncError::new("index of untyped nil"));
    }
    let mut item = item.clone();
    for idx in indexes {
        if item.is_nil() {
            return Err(FuncError::new("index of nil pointer"));
        }
        // Go 1.19 lets an index equal to the length through to reflection, which fails.
        if let Some(s) = item.as_str() {
            let i = index_arg(idx, s.len())?;
            if i == s.len() {
                return Err(FuncError::new("reflect: string index out of range"));
            }
            item = Value::object(Byte(s.as_bytes()[i]));
            continue;
        }
        if let Some(l) = item.as_list() {
            let i = index_arg(idx, l.len())?;
            if i == l.len() {
                return Err(FuncError::new("reflect: slice index out of range"));
            }
            item = l[i].clone();
            continue;
        }
        if let Some(m) = item.as_map() {
            let key = match idx {
                Value::String(k) | Value::Safe(_, k) => k,
                Value::Nil => return Err(FuncError::new("value is nil; should be of type string")),
                other => {
                    return Err(FuncError(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    )));
                }
            };
            item = m.get(key).cloned().unwrap_or_else(|| m.zero.clone());
            continue;
        }
        return Err(FuncError(format!(
            "can't index item of type {}",
            item.type_name()
        )));
    }
    Ok(item)
}

/// A byte of a string, as `index` returns it (Go's `uint8`).
struct Byte(u8);

impl crate::value::Object for Byte {
    fn type_name(&self) -> std::borrow::Cow<'_, str> {
        "uint8".into()
    }
    fn as_basic(&self) -> Option<Value> {
        Some(Value::Uint(u64::from(self.0)))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn slice(item: &Value, indexes: &[Value]) -> Result<Value, FuncError> {
    if item.is_nil() {
        return Err(FuncError::new("slice of untyped nil"));
    }
    if indexes.len() > 3 {
        return Err(FuncError(format!(
            "too many slice indexes: {}",
            indexes.len()
        )));
    }
    let len = if let Some(s) = item.as_str() {
        if indexes.len() == 3 {
            return Err(FuncError::new("cannot 3-index slice a string"));
        }
        s.len()
    } else if let Some(l) = item.as_list() {
        l.len()
    } else {
        return Err(FuncError(format!(
            "can't slice item of type {}",
            item.type_name()
        )));
    };
    let mut idx = [0, len, len];
    for (i, x) in indexes.iter().enumerate() {
        idx[i] = index_arg(x, len)?;
    }
    if idx[0] > idx[1] {
        return Err(FuncError(format!(
            "invalid slice index: {} > {}",
            idx[0], idx[1]
        )));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(FuncError(format!(
            "invalid slice index: {} > {}",
            idx[1], idx[2]
        )));
    }
    if let Some(s) = item.as_str() {
        let bytes = &s.as_bytes()[idx[0]..idx[1]];
        return Ok(Value::from(String::from_utf8_lossy(bytes).into_owned()));
    }
    let l = item.as_list().unwrap_or(&[]);
    let type_name = match &item {
        Value::List(list) => list.type_name.clone(),
        other => other.type_name().into_owned().into(),
    };
    Ok(Value::List(Arc::new(crate::value::List {
        items: l[idx[0]..idx[1]].to_vec(),
        type_name,
    })))
}

fn call_func(ctx: &Ctx<'_>, args: &[Value]) -> Result<Value, FuncError> {
    let f = match args.first() {
        Some(Value::Func(f)) => f,
        Some(Value::Nil) | None => return Err(FuncError::new("call of nil")),
        Some(other) => {
            return Err(FuncError(format!(
                "non-function of type {}",
                other.type_name()
            )));
        }
    };
    let rest = &args[1..];
    let fixed = f.signature().params.len();
    if f.signature().variadic.is_some() {
        if rest.len() < fixed {
            return Err(FuncError(format!(
                "wrong number of args: got {} want at least {fixed}",
                rest.len()
            )));
        }
    } else if rest.len() != fixed {
        return Err(FuncError(format!(
            "wrong number of args: got {} want {fixed}",
            rest.len()
        )));
    }
    f.call(ctx, rest)
}

/// Go's basic kinds, for comparisons.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Bool,
    Int,
    Uint,
    Float,
    String,
    Other,
    Invalid,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) => Kind::Int,
        Value::Uint(_) => Kind::Uint,
        Value::Float(_) => Kind::Float,
        Value::String(_) | Value::Safe(..) => Kind::String,
        Value::Nil => Kind::Invalid,
        _ => Kind::Other,
    }
}

const BAD_TYPE: &str = "invalid type for comparison";
const BAD_CMP: &str = "incompatible types for comparison";

fn eq(arg1: &Value, rest: &[Value]) -> Result<bool, FuncError> {
    if rest.is_empty() {
        return Err(FuncError::new("missing argument for comparison"));
    }
    let a = arg1.basic();
    let k1 = kind(&a);
    for arg in rest {
        let b = arg.basic();
        let k2 = kind(&b);
        let truth = match (a.as_ref(), b.as_ref()) {
            _ if k1 != k2 => match (a.as_ref(), b.as_ref()) {
                (Value::Int(i), Value::Uint(u)) | (Value::Uint(u), Value::Int(i)) => {
                    *i >= 0 && *i as u64 == *u
                }
                _ => {
                    if k1 != Kind::Invalid && k2 != Kind::Invalid {
                        return Err(FuncError::new(BAD_CMP));
                    }
                    false
                }
            },
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Uint(x), Value::Uint(y)) => x == y,
            (Value::Float(x), Value::Float(y)) => x == y,
            (x, y) if k1 == Kind::String => x.as_str() == y.as_str(),
            (Value::Nil, Value::Nil) => true,
            (Value::Time(x), Value::Time(y)) => {
                x.timestamp() == y.timestamp() && x.location().name() == y.location().name()
            }
            (x, y) if x.type_name() != y.type_name() => {
                return Err(FuncError(format!(
                    "non-comparable types {}: {}, {}: {}",
                    gofmt::sprintf("%s", std::slice::from_ref(x)),
                    x.type_name(),
                    y.type_name(),
                    gofmt::sprint(std::slice::from_ref(y))
                )));
            }
            (Value::Object(x), Value::Object(y))
                if x.as_map().is_none() && x.as_list().is_none() =>
            {
                Arc::ptr_eq(x, y)
            }
            (_, y) => {
                return Err(FuncError(format!(
                    "non-comparable type {}: {}",
                    gofmt::sprintf("%s", std::slice::from_ref(y)),
                    y.type_name()
                )));
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(arg1: &Value, arg2: &Value) -> Result<bool, FuncError> {
    let a = arg1.basic();
    let b = arg2.basic();
    let (k1, k2) = (kind(&a), kind(&b));
    if matches!(k1, Kind::Other | Kind::Invalid) || matches!(k2, Kind::Other | Kind::Invalid) {
        return Err(FuncError::new(BAD_TYPE));
    }
    Ok(match (a.as_ref(), b.as_ref()) {
        (Value::Int(i), Value::Uint(u)) => *i < 0 || (*i as u64) < *u,
        (Value::Uint(u), Value::Int(i)) => *i >= 0 && *u < *i as u64,
        _ if k1 != k2 => return Err(FuncError::new(BAD_CMP)),
        (Value::Bool(_), _) => return Err(FuncError::new(BAD_TYPE)),
        (Value::Int(x), Value::Int(y)) => x < y,
        (Value::Uint(x), Value::Uint(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (x, y) => x.as_str() < y.as_str(),
    })
}

/// Go's `template.HTMLEscapeString`.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub(crate) fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02X}", c as u32)),
            c if c.is_ascii() || gofmt::is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    escape_url(s, true)
}

/// Go's `url.PathEscape`.
pub fn path_escape(s: &str) -> String {
    escape_url(s, false)
}

fn escape_url(s: &str, query: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (!query && matches!(b, b'$' | b'&' | b'+' | b':' | b'=' | b'@'));
        if keep {
            out.push(char::from(b));
        } else if b == b' ' && query {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons() {
        let i = Value::Int;
        assert_eq!(eq(&i(1), &[i(2), i(1)]), Ok(true));
        assert_eq!(eq(&i(1), &[Value::Uint(1)]), Ok(true));
        assert_eq!(
            eq(&i(1), &[Value::Float(1.0)]),
            Err(FuncError::new(BAD_CMP))
        );
        assert_eq!(eq(&Value::Nil, &[i(1)]), Ok(false));
        assert_eq!(eq(&Value::from("a"), &[Value::from("a")]), Ok(true));
        assert_eq!(lt(&i(1), &i(2)), Ok(true));
        assert_eq!(lt(&i(-1), &Value::Uint(0)), Ok(true));
        assert_eq!(lt(&Value::from("a"), &Value::from("b")), Ok(true));
        assert_eq!(
            lt(&Value::Bool(true), &Value::Bool(false)),
            Err(FuncError::new(BAD_TYPE))
        );
        assert_eq!(lt(&Value::Nil, &i(1)), Err(FuncError::new(BAD_TYPE)));
    }

    #[test]
    fn escapes() {
        assert_eq!(
            html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            js_escape("a'b\"<=>\n"),
            "a\\'b\\\"\\u003C\\u003D\\u003E\\u000A"
        );
        assert_eq!(query_escape("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
        assert_eq!(path_escape("a b/c"), "a%20b%2Fc");
    }
}
