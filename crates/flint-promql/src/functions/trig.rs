//! Trigonometric functions: `sin`, `cos`, `tan`, their inverses and hyperbolic variants.

use crate::error::Result;
use crate::eval::{Ctx, Grid, Value};
use crate::parser::Call;

use super::map_floats;

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(ctx: &Ctx<'_>, name: &str, call: &Call, grid: &Grid) -> Result<Option<Value>> {
    let f: fn(f64) -> f64 = match name {
        "sin" => f64::sin,
        "cos" => f64::cos,
        "tan" => f64::tan,
        "asin" => f64::asin,
        "acos" => f64::acos,
        "atan" => f64::atan,
        "sinh" => f64::sinh,
        "cosh" => f64::cosh,
        "tanh" => f64::tanh,
        "asinh" => f64::asinh,
        "acosh" => f64::acosh,
        "atanh" => f64::atanh,
        _ => return Ok(None),
    };
    let v = ctx.eval_vector(&call.args[0], grid)?;
    Ok(Some(Value::Vector(map_floats(v, f))))
}
