//! How rules query: the [`QueryFn`] trait (upstream's `QueryFunc`), injected so tests run
//! without an engine, and [`EngineQuery`], its implementation over Flint's PromQL engine.

use std::sync::Arc;

use flint_promql::engine::{QueryValue, Sample, SampleValue};
use flint_promql::parser::Expr;
use flint_promql::{Engine, ErrorKind, QueryOptions};
use flint_storage::Queryable;
use flint_template::prometheus as tmpl;
use tokio_util::sync::CancellationToken;

use crate::error::QueryError;

/// A rule's expression: the text as written and its parse (done once, when the rule loads).
#[derive(Debug, Clone)]
pub struct RuleExpr {
    /// The expression as written in the rule file.
    pub text: Arc<str>,
    /// Its parse.
    pub parsed: Arc<Expr>,
}

impl RuleExpr {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, flint_promql::parser::ParseError> {
        let parsed = flint_promql::parser::parse(text)?;
        Ok(RuleExpr {
            text: Arc::from(text),
            parsed: Arc::new(parsed),
        })
    }

    /// The canonical form (`/api/v1/rules` shows it as `query`).
    pub fn canonical(&self) -> String {
        self.parsed.to_string()
    }
}

/// Evaluates a rule's expression at one instant (milliseconds). A scalar result becomes one
/// sample without labels, as upstream's `EngineQueryFunc` does.
///
/// Calls are blocking: groups evaluate on blocking threads.
pub trait QueryFn: Send + Sync {
    /// The instant vector of `expr` at `t`.
    fn query(&self, expr: &RuleExpr, t: i64) -> Result<Vec<Sample>, QueryError>;
}

/// [`QueryFn`] over a PromQL [`Engine`] and a storage.
#[derive(Clone)]
pub struct EngineQuery {
    engine: Engine,
    storage: Arc<dyn Queryable>,
    cancel: CancellationToken,
}

impl std::fmt::Debug for EngineQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineQuery").finish_non_exhaustive()
    }
}

impl EngineQuery {
    /// Queries `storage` with `engine`; firing `cancel` (shutdown) cancels running queries.
    pub fn new(engine: Engine, storage: Arc<dyn Queryable>, cancel: CancellationToken) -> Self {
        EngineQuery {
            engine,
            storage,
            cancel,
        }
    }
}

impl EngineQuery {
    /// Queries `storage` with an engine of default options (tests, tools).
    pub fn with_default_engine(storage: Arc<dyn Queryable>) -> Self {
        Self::new(
            Engine::new(flint_promql::EngineOptions::default()),
            storage,
            CancellationToken::new(),
        )
    }
}

impl QueryFn for EngineQuery {
    fn query(&self, expr: &RuleExpr, t: i64) -> Result<Vec<Sample>, QueryError> {
        let opts = QueryOptions {
            cancel: Some(self.cancel.clone()),
            ..QueryOptions::default()
        };
        let r = self
            .engine
            .instant_query_expr(self.storage.as_ref(), &expr.text, &expr.parsed, t, &opts)
            .map_err(|e| QueryError {
                message: e.to_string(),
                canceled: e.kind() == ErrorKind::Canceled,
            })?;
        to_vector(r.value)
    }
}

/// A query result as a vector, as rules need it.
pub fn to_vector(v: QueryValue) -> Result<Vec<Sample>, QueryError> {
    match v {
        QueryValue::Vector(v) => Ok(v),
        QueryValue::Scalar { t, v } => Ok(vec![Sample {
            labels: flint_model::Labels::empty(),
            t,
            value: SampleValue::Float(v),
        }]),
        _ => Err(QueryError::new("rule result is not a vector or scalar")),
    }
}

/// The `query` function of alert templates, over a rule manager's [`QueryFn`].
pub(crate) struct TemplateQuery(pub Arc<dyn QueryFn>);

impl tmpl::QueryEngine for TemplateQuery {
    fn query(&self, expr: &str, time_ms: i64) -> Result<Vec<tmpl::Sample>, String> {
        let e = RuleExpr::parse(expr).map_err(|e| e.to_string())?;
        let v = self.0.query(&e, time_ms).map_err(|e| e.message)?;
        Ok(v.into_iter()
            .map(|s| tmpl::Sample {
                labels: s
                    .labels
                    .iter()
                    .map(|l| (l.name.to_string(), l.value.to_string()))
                    .collect(),
                value: match s.value {
                    SampleValue::Float(f) => f,
                    SampleValue::Histogram(_) => 0.0,
                },
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flint_model::Labels;
    use flint_storage::Appendable;
    use flint_storage::memory::MemStorage;

    #[test]
    fn engine_queries_vectors_and_scalars() {
        let storage = MemStorage::new();
        let mut app = storage.appender();
        let up = Labels::from_pairs([("__name__", "up"), ("job", "a")]);
        app.append(None, &up, 0, 1.0).ok();
        app.commit().ok();
        let q = EngineQuery::new(
            Engine::new(flint_promql::EngineOptions::default()),
            Arc::new(storage),
            CancellationToken::new(),
        );
        let v = q.query(
            &RuleExpr::parse("up").ok().unwrap_or_else(|| panic!()),
            1000,
        );
        assert_eq!(v.map(|v| v.len()), Ok(1));
        let e = RuleExpr::parse("2 * 3").ok().unwrap_or_else(|| panic!());
        let v = q.query(&e, 1000).unwrap_or_default();
        assert_eq!(v[0].value, SampleValue::Float(6.0));
        assert!(v[0].labels.is_empty());
        let e = RuleExpr::parse("\"s\"").ok().unwrap_or_else(|| panic!());
        assert_eq!(
            q.query(&e, 0).err().map(|e| e.message),
            Some("rule result is not a vector or scalar".into())
        );
        let e = RuleExpr::parse("up[5m]").ok().unwrap_or_else(|| panic!());
        assert!(q.query(&e, 0).is_err());
    }
}
