//! `info(v, {selector})`: adds the data labels of matching info series (`target_info` by
//! default) to each series of `v`.

use crate::error::{Error, Result};
use crate::eval::{Ctx, Grid, Value};
use crate::parser::Call;

/// Evaluates the function if it is `info`.
pub(crate) fn eval(
    _ctx: &Ctx<'_>,
    name: &str,
    _call: &Call,
    _grid: &Grid,
) -> Result<Option<Value>> {
    if name != "info" {
        return Ok(None);
    }
    Err(Error::exec("info() is not supported yet"))
}
