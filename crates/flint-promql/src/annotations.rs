//! Warnings and infos attached to query results, worded as upstream's `annotations` package.

use crate::parser::Span;

/// Whether an annotation is a warning or an info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnnotationKind {
    /// `PromQL warning: …`: the result may be wrong.
    Warning,
    /// `PromQL info: …`: the result is probably fine but something looks off.
    Info,
}

/// One annotation: its kind, message and the sub-expression it is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Annotation {
    /// Warning or info.
    pub kind: AnnotationKind,
    /// The message without the `PromQL warning: ` prefix and position.
    pub message: String,
    /// The sub-expression it points at.
    pub span: Option<Span>,
}

impl Annotation {
    /// A warning about `span`.
    pub fn warning(message: impl Into<String>, span: Span) -> Self {
        Annotation {
            kind: AnnotationKind::Warning,
            message: message.into(),
            span: Some(span),
        }
    }

    /// An info about `span`.
    pub fn info(message: impl Into<String>, span: Span) -> Self {
        Annotation {
            kind: AnnotationKind::Info,
            message: message.into(),
            span: Some(span),
        }
    }

    /// A warning passed on from storage (rendered as is).
    pub fn storage_warning(message: impl Into<String>) -> Self {
        Annotation {
            kind: AnnotationKind::Warning,
            message: message.into(),
            span: None,
        }
    }

    /// The text the HTTP API shows: `PromQL warning: <message> (<line>:<col>)`.
    pub fn render(&self, query: &str) -> String {
        let prefix = match self.kind {
            AnnotationKind::Warning => "PromQL warning",
            AnnotationKind::Info => "PromQL info",
        };
        match self.span {
            Some(span) => format!(
                "{prefix}: {} ({})",
                self.message,
                span.start_position(query)
            ),
            // Warnings passed on from storage carry no position and no prefix.
            None => self.message.clone(),
        }
    }
}

/// A deduplicated, ordered set of annotations.
#[derive(Debug, Clone, Default)]
pub struct Annotations {
    items: Vec<Annotation>,
    seen: std::collections::HashSet<Annotation>,
}

impl Annotations {
    /// Adds `a` unless an equal annotation is already present.
    pub fn add(&mut self, a: Annotation) {
        if self.seen.insert(a.clone()) {
            self.items.push(a);
        }
    }

    /// Adds all of `other`.
    pub fn merge(&mut self, other: Annotations) {
        for a in other.items {
            self.add(a);
        }
    }

    /// The annotations in the order they were first added.
    pub fn iter(&self) -> impl Iterator<Item = &Annotation> {
        self.items.iter()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Rendered warnings and infos, each capped at `max` (0 = no cap) with a
    /// `N more … annotations omitted` line, as the HTTP API reports them.
    pub fn render(&self, query: &str, max: usize) -> (Vec<String>, Vec<String>) {
        let mut warnings = Vec::new();
        let mut infos = Vec::new();
        let (mut w_skipped, mut i_skipped) = (0, 0);
        for a in &self.items {
            let (list, skipped) = match a.kind {
                AnnotationKind::Warning => (&mut warnings, &mut w_skipped),
                AnnotationKind::Info => (&mut infos, &mut i_skipped),
            };
            if max == 0 || list.len() < max {
                list.push(a.render(query));
            } else {
                *skipped += 1;
            }
        }
        if w_skipped > 0 {
            warnings.push(format!("{w_skipped} more warning annotations omitted"));
        }
        if i_skipped > 0 {
            infos.push(format!("{i_skipped} more info annotations omitted"));
        }
        (warnings, infos)
    }
}

/// Constructors with upstream's wording.
pub(crate) mod msg {
    use super::Annotation;
    use crate::parser::Span;

    fn q(s: &str) -> String {
        flint_model::quote::go_quote(s)
    }

    fn with_name(base: &str, name: &str) -> String {
        if name.is_empty() {
            base.to_owned()
        } else {
            format!("{base} for metric name {}", q(name))
        }
    }

    pub(crate) fn invalid_quantile(v: f64, span: Span) -> Annotation {
        Annotation::warning(
            format!(
                "quantile value should be between 0 and 1, got {}",
                crate::histogram::go_g(v)
            ),
            span,
        )
    }

    pub(crate) fn invalid_ratio(v: f64, to: f64, span: Span) -> Annotation {
        Annotation::warning(
            format!(
                "ratio value should be between -1 and 1, got {}, capping to {}",
                crate::histogram::go_g(v),
                crate::histogram::go_g(to)
            ),
            span,
        )
    }

    pub(crate) fn bad_bucket_label(name: &str, le: &str, span: Span) -> Annotation {
        Annotation::warning(
            with_name(
                &format!(
                    "bucket label \"le\" is missing or has a malformed value of {}",
                    q(le)
                ),
                name,
            ),
            span,
        )
    }

    pub(crate) fn mixed_floats_histograms(name: &str, span: Span) -> Annotation {
        Annotation::warning(
            format!(
                "encountered a mix of histograms and floats for metric name {}",
                q(name)
            ),
            span,
        )
    }

    pub(crate) fn mixed_floats_histograms_agg(span: Span) -> Annotation {
        Annotation::warning(
            "encountered a mix of histograms and floats for aggregation",
            span,
        )
    }

    pub(crate) fn mixed_classic_native(name: &str, span: Span) -> Annotation {
        Annotation::warning(
            with_name(
                "vector contains a mix of classic and native histograms",
                name,
            ),
            span,
        )
    }

    pub(crate) fn not_counter(name: &str, span: Span) -> Annotation {
        Annotation::warning(
            format!("this native histogram metric is not a counter: {}", q(name)),
            span,
        )
    }

    pub(crate) fn not_gauge(name: &str, span: Span) -> Annotation {
        Annotation::warning(
            format!("this native histogram metric is not a gauge: {}", q(name)),
            span,
        )
    }

    pub(crate) fn mixed_exponential_custom(name: &str, span: Span) -> Annotation {
        Annotation::warning(
            format!(
                "vector contains a mix of histograms with exponential and custom buckets schemas for metric name {}",
                q(name)
            ),
            span,
        )
    }

    pub(crate) fn incompatible_bucket_layout(op: &str, span: Span) -> Annotation {
        Annotation::warning(
            format!("incompatible bucket layout encountered for binary operator {op}"),
            span,
        )
    }

    pub(crate) fn counter_reset_collision(what: &str, span: Span) -> Annotation {
        Annotation::warning(
            format!("conflicting counter resets during histogram {what}"),
            span,
        )
    }

    pub(crate) fn possible_non_counter(name: &str, span: Span) -> Annotation {
        Annotation::info(
            format!(
                "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: {}",
                q(name)
            ),
            span,
        )
    }

    pub(crate) fn forced_monotonicity(name: &str, span: Span) -> Annotation {
        Annotation::info(
            with_name(
                "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)",
                name,
            ),
            span,
        )
    }

    pub(crate) fn incompatible_types(lhs: &str, op: &str, rhs: &str, span: Span) -> Annotation {
        Annotation::info(
            format!(
                "incompatible sample types encountered for binary operator {}: {lhs} {op} {rhs}",
                q(op)
            ),
            span,
        )
    }

    pub(crate) fn histogram_ignored_in_agg(agg: &str, span: Span) -> Annotation {
        Annotation::info(format!("ignored histogram in {agg} aggregation"), span)
    }

    pub(crate) fn histogram_ignored_in_mixed_range(name: &str, span: Span) -> Annotation {
        Annotation::info(
            format!(
                "ignored histograms in a range containing both floats and histograms for metric name {}",
                q(name)
            ),
            span,
        )
    }

    pub(crate) fn quantile_nan_result(name: &str, span: Span) -> Annotation {
        Annotation::info(
            with_name(
                "input to histogram_quantile has NaN observations, result is NaN",
                name,
            ),
            span,
        )
    }

    pub(crate) fn quantile_nan_skew(name: &str, span: Span) -> Annotation {
        Annotation::info(
            with_name(
                "input to histogram_quantile has NaN observations, result is skewed higher",
                name,
            ),
            span,
        )
    }

    pub(crate) fn fraction_nans(name: &str, span: Span) -> Annotation {
        Annotation::info(
            with_name(
                "input to histogram_fraction has NaN observations, which are excluded from all fractions",
                name,
            ),
            span,
        )
    }

    pub(crate) fn mismatched_custom_buckets(what: &str, span: Span) -> Annotation {
        Annotation::info(
            format!("mismatched custom buckets were reconciled during {what}"),
            span,
        )
    }

    pub(crate) fn sort_ineffective(span: Span) -> Annotation {
        Annotation::warning(
            "sort is ineffective for range queries since results are always ordered by labels",
            span,
        )
    }
}
