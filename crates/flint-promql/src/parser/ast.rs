//! The PromQL syntax tree.
//!
//! Every node knows its byte range in the query ([`Span`]) so errors and annotations can point
//! at it. Durations inside brackets and after `offset` may be arithmetic expressions
//! ([`DurationExpr`]) that are resolved once the query's step and range are known.

use std::fmt;

use flint_model::Matcher;

use super::functions::Function;

/// A byte range `[start, end)` in the query text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// `line:column` (1-based, columns in bytes) of the start within `query`, as Prometheus
    /// prints positions.
    pub fn start_position(&self, query: &str) -> String {
        line_col(query, self.start)
    }
}

/// `line:column` of byte `pos` in `query`.
pub(crate) fn line_col(query: &str, pos: usize) -> String {
    if pos > query.len() {
        return "invalid position".to_owned();
    }
    let mut line = 1;
    let mut last_break: isize = -1;
    for (i, b) in query.as_bytes()[..pos].iter().enumerate() {
        if *b == b'\n' {
            line += 1;
            last_break = i as isize;
        }
    }
    format!("{line}:{}", pos as isize - last_break)
}

/// The type of value an expression produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// A single number.
    Scalar,
    /// A set of series with one sample each.
    Vector,
    /// A set of series with a range of samples each.
    Matrix,
    /// A string.
    String,
}

impl ValueType {
    /// The name Prometheus documents and uses in error messages.
    pub fn documented(self) -> &'static str {
        match self {
            ValueType::Scalar => "scalar",
            ValueType::Vector => "instant vector",
            ValueType::Matrix => "range vector",
            ValueType::String => "string",
        }
    }

    /// The name the HTTP API uses in `resultType`.
    pub fn api_name(self) -> &'static str {
        match self {
            ValueType::Scalar => "scalar",
            ValueType::Vector => "vector",
            ValueType::Matrix => "matrix",
            ValueType::String => "string",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.documented())
    }
}

/// A PromQL expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `1.5`, `0x1f`, `Inf`, `5m` (a duration used as a number of seconds).
    Number(NumberLiteral),
    /// `"text"`.
    String(StringLiteral),
    /// `metric{label="value"}`.
    Vector(VectorSelector),
    /// `metric[5m]`.
    Matrix(MatrixSelector),
    /// `expr[30m:1m]`.
    Subquery(SubqueryExpr),
    /// `(expr)`.
    Paren(ParenExpr),
    /// `-expr`, `+expr`.
    Unary(UnaryExpr),
    /// `a + on(x) b`.
    Binary(BinaryExpr),
    /// `sum by (job) (x)`.
    Aggregate(AggregateExpr),
    /// `rate(x[5m])`.
    Call(Call),
}

/// A number literal.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberLiteral {
    /// The value.
    pub value: f64,
    /// Whether it was written as a duration (printed back as one).
    pub duration: bool,
    /// Where it is.
    pub span: Span,
}

/// A string literal.
#[derive(Debug, Clone, PartialEq)]
pub struct StringLiteral {
    /// The value (invalid UTF-8 from `\x` escapes is replaced; see `bytes`).
    pub value: String,
    /// The exact bytes when they are not valid UTF-8.
    pub bytes: Option<Vec<u8>>,
    /// Where it is.
    pub span: Span,
}

impl StringLiteral {
    /// Whether the value is valid UTF-8.
    pub fn is_valid_utf8(&self) -> bool {
        self.bytes.is_none()
    }

    /// The value quoted as Go's `%q` does.
    pub fn quoted(&self) -> String {
        match &self.bytes {
            None => flint_model::quote::go_quote(&self.value),
            Some(b) => go_quote_bytes(b),
        }
    }
}

/// Go's `strconv.Quote` of arbitrary bytes: invalid UTF-8 becomes `\xNN`.
pub(crate) fn go_quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                let q = flint_model::quote::go_quote(s);
                out.push_str(&q[1..q.len() - 1]);
                break;
            }
            Err(e) => {
                let (ok, bad) = rest.split_at(e.valid_up_to());
                if let Ok(s) = std::str::from_utf8(ok) {
                    let q = flint_model::quote::go_quote(s);
                    out.push_str(&q[1..q.len() - 1]);
                }
                let n = e.error_len().unwrap_or(bad.len()).max(1);
                for b in &bad[..n] {
                    out.push_str(&format!("\\x{b:02x}"));
                }
                rest = &bad[n..];
            }
        }
    }
    out.push('"');
    out
}

/// The `@` modifier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AtModifier {
    /// `@ <timestamp>`, in milliseconds.
    Timestamp(i64),
    /// `@ start()`.
    Start,
    /// `@ end()`.
    End,
}

/// Arithmetic over durations, as allowed in brackets and after `offset`.
#[derive(Debug, Clone, PartialEq)]
pub enum DurationExpr {
    /// A duration literal such as `5m`, in milliseconds.
    Literal(i64),
    /// A number of seconds such as `30` or `1.5`.
    Number(f64),
    /// `-d` or `+d`.
    Unary {
        /// Whether it negates.
        negate: bool,
        /// The operand.
        expr: Box<DurationExpr>,
    },
    /// `a op b` with `+ - * / % ^`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<DurationExpr>,
        /// Right operand.
        rhs: Box<DurationExpr>,
    },
    /// `(d)`.
    Paren(Box<DurationExpr>),
    /// `step()`: the query's step.
    Step,
    /// `range()`: the query's end minus start.
    Range,
    /// `min_of(a, b)`.
    MinOf(Box<DurationExpr>, Box<DurationExpr>),
    /// `max_of(a, b)`.
    MaxOf(Box<DurationExpr>, Box<DurationExpr>),
}

impl DurationExpr {
    /// Whether this is a plain literal (no arithmetic, no `step()`).
    pub fn literal_ms(&self) -> Option<i64> {
        match self {
            DurationExpr::Literal(ms) => Some(*ms),
            DurationExpr::Number(s) => Some((s * 1000.0).round() as i64),
            _ => None,
        }
    }

    /// Evaluates to seconds, given the query's step and range in milliseconds.
    pub fn seconds(&self, step_ms: i64, range_ms: i64) -> Result<f64, String> {
        let sub = |e: &DurationExpr| e.seconds(step_ms, range_ms);
        Ok(match self {
            DurationExpr::Literal(ms) => *ms as f64 / 1000.0,
            DurationExpr::Number(s) => *s,
            DurationExpr::Unary { negate, expr } => {
                let v = sub(expr)?;
                if *negate { -v } else { v }
            }
            DurationExpr::Paren(e) => sub(e)?,
            DurationExpr::Step => step_ms as f64 / 1000.0,
            DurationExpr::Range => range_ms as f64 / 1000.0,
            DurationExpr::MinOf(a, b) => sub(a)?.min(sub(b)?),
            DurationExpr::MaxOf(a, b) => sub(a)?.max(sub(b)?),
            DurationExpr::Binary { op, lhs, rhs } => {
                let (a, b) = (sub(lhs)?, sub(rhs)?);
                match op {
                    BinaryOp::Add => a + b,
                    BinaryOp::Sub => a - b,
                    BinaryOp::Mul => a * b,
                    BinaryOp::Div => {
                        if b == 0.0 {
                            return Err("division by zero".into());
                        }
                        a / b
                    }
                    BinaryOp::Mod => {
                        if b == 0.0 {
                            return Err("modulo by zero".into());
                        }
                        a % b
                    }
                    BinaryOp::Pow => a.powf(b),
                    _ => return Err(format!("unexpected operator {op} in duration expression")),
                }
            }
        })
    }

    /// Evaluates to milliseconds.
    pub fn millis(&self, step_ms: i64, range_ms: i64) -> Result<i64, String> {
        let s = self.seconds(step_ms, range_ms)?;
        let ms = (s * 1000.0).round();
        if !ms.is_finite() || ms.abs() > 9.2e15 {
            return Err("duration is out of range".into());
        }
        Ok(ms as i64)
    }
}

/// `metric{label="value"}` with its modifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorSelector {
    /// The metric name, if written before the braces or as a lone quoted name inside them.
    pub name: Option<String>,
    /// All matchers, the name's `__name__="…"` matcher included.
    pub matchers: Vec<Matcher>,
    /// `offset <duration>`.
    pub offset: Option<DurationExpr>,
    /// `@ <time>`.
    pub at: Option<AtModifier>,
    /// `anchored`: use the samples just outside the range to anchor it.
    pub anchored: bool,
    /// `smoothed`: interpolate at the range boundaries.
    pub smoothed: bool,
    /// The selector itself (name and braces).
    pub span: Span,
    /// End of the selector including its modifiers.
    pub end: usize,
}

/// `selector[range]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixSelector {
    /// The selector (which carries offset, `@`, anchored and smoothed).
    pub selector: VectorSelector,
    /// The range.
    pub range: DurationExpr,
    /// End of the expression including modifiers.
    pub end: usize,
}

/// `expr[range:step]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SubqueryExpr {
    /// The inner expression (an instant vector).
    pub expr: Box<Expr>,
    /// The range.
    pub range: DurationExpr,
    /// The resolution; `None` uses the default (the global evaluation interval).
    pub step: Option<DurationExpr>,
    /// `offset <duration>`.
    pub offset: Option<DurationExpr>,
    /// `@ <time>`.
    pub at: Option<AtModifier>,
    /// End of the expression including modifiers.
    pub end: usize,
}

/// `(expr)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParenExpr {
    /// The inner expression.
    pub expr: Box<Expr>,
    /// Parentheses included.
    pub span: Span,
}

/// `-expr` or `+expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct UnaryExpr {
    /// Whether it negates (`-`) or not (`+`).
    pub negate: bool,
    /// The operand.
    pub expr: Box<Expr>,
    /// Position of the operator.
    pub start: usize,
}

/// Binary operators, set operators and comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^`
    Pow,
    /// `atan2`
    Atan2,
    /// `==`
    Eql,
    /// `!=`
    Neq,
    /// `>`
    Gtr,
    /// `<`
    Lss,
    /// `>=`
    Gte,
    /// `<=`
    Lte,
    /// `and`
    And,
    /// `or`
    Or,
    /// `unless`
    Unless,
    /// `</`: trims histogram observations above the value.
    TrimUpper,
    /// `>/`: trims histogram observations below the value.
    TrimLower,
}

impl BinaryOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Pow => "^",
            BinaryOp::Atan2 => "atan2",
            BinaryOp::Eql => "==",
            BinaryOp::Neq => "!=",
            BinaryOp::Gtr => ">",
            BinaryOp::Lss => "<",
            BinaryOp::Gte => ">=",
            BinaryOp::Lte => "<=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Unless => "unless",
            BinaryOp::TrimUpper => "</",
            BinaryOp::TrimLower => ">/",
        }
    }

    /// `==`, `!=`, `>`, `<`, `>=`, `<=`.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eql
                | BinaryOp::Neq
                | BinaryOp::Gtr
                | BinaryOp::Lss
                | BinaryOp::Gte
                | BinaryOp::Lte
        )
    }

    /// `and`, `or`, `unless`.
    pub fn is_set(self) -> bool {
        matches!(self, BinaryOp::And | BinaryOp::Or | BinaryOp::Unless)
    }

    /// Arithmetic that changes what the metric means (its name, type and unit are dropped).
    pub fn changes_schema(self) -> bool {
        matches!(
            self,
            BinaryOp::Add
                | BinaryOp::Sub
                | BinaryOp::Mul
                | BinaryOp::Div
                | BinaryOp::Pow
                | BinaryOp::Mod
                | BinaryOp::Atan2
        )
    }

    /// Binding strength; higher binds tighter.
    pub(crate) fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And | BinaryOp::Unless => 2,
            BinaryOp::Eql
            | BinaryOp::Neq
            | BinaryOp::Gtr
            | BinaryOp::Lss
            | BinaryOp::Gte
            | BinaryOp::Lte
            | BinaryOp::TrimUpper
            | BinaryOp::TrimLower => 3,
            BinaryOp::Add | BinaryOp::Sub => 4,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod | BinaryOp::Atan2 => 5,
            BinaryOp::Pow => 6,
        }
    }
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How series on both sides of a vector operation are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cardinality {
    /// Each side has at most one series per match group.
    OneToOne,
    /// `group_left`.
    ManyToOne,
    /// `group_right`.
    OneToMany,
    /// Set operators.
    ManyToMany,
}

/// `on`/`ignoring`, `group_left`/`group_right` and `fill` of a binary expression.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorMatching {
    /// The cardinality.
    pub card: Cardinality,
    /// Whether `on(...)` (true) or `ignoring(...)` (false) was used.
    pub on: bool,
    /// The labels of `on`/`ignoring`.
    pub labels: Vec<String>,
    /// The labels of `group_left(...)`/`group_right(...)`.
    pub include: Vec<String>,
    /// `fill(...)`/`fill_left(...)`: value for a missing left-hand side.
    pub fill_lhs: Option<f64>,
    /// `fill(...)`/`fill_right(...)`: value for a missing right-hand side.
    pub fill_rhs: Option<f64>,
}

impl Default for VectorMatching {
    fn default() -> Self {
        VectorMatching {
            card: Cardinality::OneToOne,
            on: false,
            labels: Vec::new(),
            include: Vec::new(),
            fill_lhs: None,
            fill_rhs: None,
        }
    }
}

/// `lhs op rhs`.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryExpr {
    /// The operator.
    pub op: BinaryOp,
    /// Left operand.
    pub lhs: Box<Expr>,
    /// Right operand.
    pub rhs: Box<Expr>,
    /// `bool` modifier of comparisons.
    pub return_bool: bool,
    /// Vector matching; `None` unless both sides are instant vectors.
    pub matching: Option<VectorMatching>,
}

/// Aggregation operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateOp {
    /// `sum`
    Sum,
    /// `avg`
    Avg,
    /// `count`
    Count,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `group`
    Group,
    /// `stddev`
    Stddev,
    /// `stdvar`
    Stdvar,
    /// `topk`
    Topk,
    /// `bottomk`
    Bottomk,
    /// `count_values`
    CountValues,
    /// `quantile`
    Quantile,
    /// `limitk`
    Limitk,
    /// `limit_ratio`
    LimitRatio,
}

impl AggregateOp {
    /// Looks an aggregation up by name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "sum" => AggregateOp::Sum,
            "avg" => AggregateOp::Avg,
            "count" => AggregateOp::Count,
            "min" => AggregateOp::Min,
            "max" => AggregateOp::Max,
            "group" => AggregateOp::Group,
            "stddev" => AggregateOp::Stddev,
            "stdvar" => AggregateOp::Stdvar,
            "topk" => AggregateOp::Topk,
            "bottomk" => AggregateOp::Bottomk,
            "count_values" => AggregateOp::CountValues,
            "quantile" => AggregateOp::Quantile,
            "limitk" => AggregateOp::Limitk,
            "limit_ratio" => AggregateOp::LimitRatio,
            _ => return None,
        })
    }

    /// The operator's name.
    pub fn as_str(self) -> &'static str {
        match self {
            AggregateOp::Sum => "sum",
            AggregateOp::Avg => "avg",
            AggregateOp::Count => "count",
            AggregateOp::Min => "min",
            AggregateOp::Max => "max",
            AggregateOp::Group => "group",
            AggregateOp::Stddev => "stddev",
            AggregateOp::Stdvar => "stdvar",
            AggregateOp::Topk => "topk",
            AggregateOp::Bottomk => "bottomk",
            AggregateOp::CountValues => "count_values",
            AggregateOp::Quantile => "quantile",
            AggregateOp::Limitk => "limitk",
            AggregateOp::LimitRatio => "limit_ratio",
        }
    }

    /// Whether the operator takes a parameter before the expression.
    pub fn has_param(self) -> bool {
        matches!(
            self,
            AggregateOp::Topk
                | AggregateOp::Bottomk
                | AggregateOp::CountValues
                | AggregateOp::Quantile
                | AggregateOp::Limitk
                | AggregateOp::LimitRatio
        )
    }
}

impl fmt::Display for AggregateOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `op [by|without (labels)] ([param,] expr)`.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateExpr {
    /// The operator.
    pub op: AggregateOp,
    /// The aggregated expression.
    pub expr: Box<Expr>,
    /// `k`, `q`, the label of `count_values`, or the ratio.
    pub param: Option<Box<Expr>>,
    /// The `by`/`without` labels.
    pub grouping: Vec<String>,
    /// Whether `without` was used.
    pub without: bool,
    /// Operator to closing parenthesis (or grouping).
    pub span: Span,
}

/// A function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The function.
    pub func: &'static Function,
    /// The arguments.
    pub args: Vec<Expr>,
    /// Name to closing parenthesis.
    pub span: Span,
}

impl Expr {
    /// The type of value this expression produces.
    pub fn value_type(&self) -> ValueType {
        match self {
            Expr::Number(_) => ValueType::Scalar,
            Expr::String(_) => ValueType::String,
            Expr::Vector(_) => ValueType::Vector,
            Expr::Matrix(_) | Expr::Subquery(_) => ValueType::Matrix,
            Expr::Paren(p) => p.expr.value_type(),
            Expr::Unary(u) => u.expr.value_type(),
            Expr::Binary(b) => {
                if b.lhs.value_type() == ValueType::Scalar
                    && b.rhs.value_type() == ValueType::Scalar
                {
                    ValueType::Scalar
                } else {
                    ValueType::Vector
                }
            }
            Expr::Aggregate(_) => ValueType::Vector,
            Expr::Call(c) => c.func.return_type,
        }
    }

    /// Where the expression is in the query.
    pub fn span(&self) -> Span {
        match self {
            Expr::Number(n) => n.span,
            Expr::String(s) => s.span,
            Expr::Vector(v) => Span::new(v.span.start, v.end),
            Expr::Matrix(m) => Span::new(m.selector.span.start, m.end),
            Expr::Subquery(s) => Span::new(s.expr.span().start, s.end),
            Expr::Paren(p) => p.span,
            Expr::Unary(u) => Span::new(u.start, u.expr.span().end),
            Expr::Binary(b) => Span::new(b.lhs.span().start, b.rhs.span().end),
            Expr::Aggregate(a) => a.span,
            Expr::Call(c) => c.span,
        }
    }

    /// The expression without any enclosing parentheses.
    pub fn unparen(&self) -> &Expr {
        let mut e = self;
        while let Expr::Paren(p) = e {
            e = &p.expr;
        }
        e
    }

    /// The direct subexpressions, in source order.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Number(_) | Expr::String(_) | Expr::Vector(_) | Expr::Matrix(_) => Vec::new(),
            Expr::Subquery(s) => vec![&*s.expr],
            Expr::Paren(p) => vec![&*p.expr],
            Expr::Unary(u) => vec![&*u.expr],
            Expr::Binary(b) => vec![&*b.lhs, &*b.rhs],
            Expr::Aggregate(a) => a.param.iter().chain([&a.expr]).map(|e| &**e).collect(),
            Expr::Call(c) => c.args.iter().collect(),
        }
    }

    /// Calls `f` on this node and every node below it, parents first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        for c in self.children() {
            c.walk(f);
        }
    }

    /// Like [`walk`](Self::walk), with mutable access.
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        f(self);
        match self {
            Expr::Number(_) | Expr::String(_) | Expr::Vector(_) | Expr::Matrix(_) => {}
            Expr::Subquery(s) => s.expr.walk_mut(f),
            Expr::Paren(p) => p.expr.walk_mut(f),
            Expr::Unary(u) => u.expr.walk_mut(f),
            Expr::Binary(b) => {
                b.lhs.walk_mut(f);
                b.rhs.walk_mut(f);
            }
            Expr::Aggregate(a) => {
                if let Some(p) = &mut a.param {
                    p.walk_mut(f);
                }
                a.expr.walk_mut(f);
            }
            Expr::Call(c) => c.args.iter_mut().for_each(|a| a.walk_mut(f)),
        }
    }
}
