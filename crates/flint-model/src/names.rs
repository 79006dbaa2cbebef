//! Validation of metric and label names, in the legacy charset and in Prometheus 3's UTF-8 mode.

/// Which names are acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameValidation {
    /// The classic charset: `[a-zA-Z_:][a-zA-Z0-9_:]*` for metric names,
    /// `[a-zA-Z_][a-zA-Z0-9_]*` for label names.
    Legacy,
    /// Prometheus 3 default: any non-empty valid UTF-8 string.
    #[default]
    Utf8,
}

impl NameValidation {
    /// Whether `name` is a valid metric name under this scheme.
    pub fn is_valid_metric_name(self, name: &str) -> bool {
        match self {
            NameValidation::Legacy => is_legacy_metric_name(name),
            NameValidation::Utf8 => !name.is_empty(),
        }
    }

    /// Whether `name` is a valid label name under this scheme.
    pub fn is_valid_label_name(self, name: &str) -> bool {
        match self {
            NameValidation::Legacy => is_legacy_label_name(name),
            NameValidation::Utf8 => !name.is_empty(),
        }
    }
}

/// Whether `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn is_legacy_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b':' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// Whether `name` matches `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_legacy_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Label names starting with `__` are reserved for internal use.
pub fn is_reserved_label_name(name: &str) -> bool {
    name.starts_with("__")
}

/// The label that holds the metric name.
pub const METRIC_NAME_LABEL: &str = "__name__";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_names() {
        for ok in [
            "a",
            "_",
            ":",
            "a:b_c9",
            "http_requests_total",
            "ns:sub:metric",
        ] {
            assert!(is_legacy_metric_name(ok), "{ok}");
        }
        for bad in ["", "9a", "a-b", "a.b", "ä", "a b"] {
            assert!(!is_legacy_metric_name(bad), "{bad}");
        }
        assert!(is_legacy_label_name("le"));
        assert!(!is_legacy_label_name("a:b"));
        assert!(!is_legacy_label_name("1a"));
    }

    #[test]
    fn utf8_names() {
        let v = NameValidation::Utf8;
        assert!(v.is_valid_metric_name("my.metric.name"));
        assert!(v.is_valid_label_name("sévère"));
        assert!(!v.is_valid_label_name(""));
        assert!(!NameValidation::Legacy.is_valid_metric_name("my.metric"));
    }
}
