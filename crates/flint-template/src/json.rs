//! JSON encoding of template values as Go's `encoding/json` writes it (`toJson`): map keys
//! sorted, struct fields in order, `<`, `>` and `&` escaped, times in RFC 3339 with nanoseconds.

use crate::error::FuncError;
use crate::value::Value;

/// Encodes `v` as Go's `json.Marshal` would.
pub fn to_json(v: &Value) -> Result<String, FuncError> {
    let mut out = String::new();
    encode(&mut out, v)?;
    Ok(out)
}

fn encode(out: &mut String, v: &Value) -> Result<(), FuncError> {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Uint(u) => out.push_str(&u.to_string()),
        Value::Float(f) => encode_float(out, *f)?,
        Value::String(s) | Value::Safe(_, s) => encode_string(out, s),
        Value::Duration(d) => out.push_str(&d.0.to_string()),
        Value::Time(t) => {
            out.push('"');
            out.push_str(&t.format("2006-01-02T15:04:05.999999999Z07:00"));
            out.push('"');
        }
        Value::List(l) => encode_list(out, &l.items)?,
        Value::Map(m) => encode_map(out, m)?,
        Value::Func(_) => return Err(FuncError::new("json: unsupported type: func")),
        Value::Object(o) => {
            if let Some(j) = o.to_json_value() {
                return encode(out, &j);
            }
            if let Some(m) = o.as_map() {
                return encode_map(out, m);
            }
            if let Some(l) = o.as_list() {
                return encode_list(out, l);
            }
            if let Some(b) = o.as_basic() {
                return encode(out, &b);
            }
            out.push('{');
            for (i, (name, val)) in o.fields().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode_string(out, name);
                out.push(':');
                encode(out, val)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn encode_list(out: &mut String, items: &[Value]) -> Result<(), FuncError> {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        encode(out, item)?;
    }
    out.push(']');
    Ok(())
}

fn encode_map(out: &mut String, m: &crate::value::Map) -> Result<(), FuncError> {
    out.push('{');
    for (i, (k, val)) in m.entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        encode_string(out, k);
        out.push(':');
        encode(out, val)?;
    }
    out.push('}');
    Ok(())
}

fn encode_float(out: &mut String, f: f64) -> Result<(), FuncError> {
    if !f.is_finite() {
        return Err(FuncError(format!(
            "json: unsupported value: {}",
            crate::gofmt::sprint(&[Value::Float(f)])
        )));
    }
    let a = f.abs();
    let mut s = if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let mut e = format!("{f:e}");
        // Go writes e-07 as e-07 → "e-7" style: exponent without leading zeros, with sign.
        if let Some(i) = e.find('e') {
            let (m, x) = e.split_at(i);
            let x = &x[1..];
            let x = if let Some(n) = x.strip_prefix('-') {
                format!("e-{n}")
            } else {
                format!("e+{x}")
            };
            e = format!("{m}{x}");
        }
        e
    } else {
        crate::gofmt::format_float_f(f)
    };
    if s == "-0" {
        s = "-0".to_string();
    }
    out.push_str(&s);
    Ok(())
}

fn encode_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_go() {
        let m = Value::map([
            ("b", Value::Float(1.5)),
            ("a", Value::strings(["<x>", "y&"])),
            ("c", Value::Nil),
            ("d", Value::Float(1e21)),
            ("e", Value::Float(1e-7)),
            ("f", Value::Float(100.0)),
        ]);
        assert_eq!(
            to_json(&m),
            Ok(
                r#"{"a":["\u003cx\u003e","y\u0026"],"b":1.5,"c":null,"d":1e+21,"e":1e-7,"f":100}"#
                    .to_string()
            )
        );
        assert!(to_json(&Value::Float(f64::NAN)).is_err());
    }
}
