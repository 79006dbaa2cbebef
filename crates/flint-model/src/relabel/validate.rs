//! Validation of relabel rules, in the order and wording of Prometheus's `Config.Validate`.

use super::config::{Action, DEFAULT_REPLACEMENT, DEFAULT_SEPARATOR, RelabelConfig};
use crate::error::{Error, Result};
use crate::names::NameValidation;

impl RelabelConfig {
    /// Check the rule as Prometheus does, with label names checked under `scheme`. Returns the
    /// first problem found, in Prometheus's order.
    pub fn validate(&self, scheme: NameValidation) -> Result<()> {
        use Action::*;
        let action = self.action;
        let name = action.as_str();
        let target = self.target_label.as_str();
        let valid = |n: &str| scheme.is_valid_label_name(n);
        let valid_template = |n: &str| match scheme {
            NameValidation::Legacy => is_legacy_template(n),
            NameValidation::Utf8 => valid(n),
        };
        let bad_target = || Error::InvalidTargetLabel {
            target_label: target.to_string(),
            action: name,
        };
        let writes_plain = matches!(action, Lowercase | Uppercase | KeepEqual | DropEqual);

        if let Some(bad) = self.source_labels.iter().find(|n| !valid(n)) {
            return Err(Error::InvalidSourceLabel { name: bad.clone() });
        }
        if action == HashMod && self.modulus == 0 {
            return Err(Error::HashmodZeroModulus);
        }
        if (writes_plain || matches!(action, Replace | HashMod)) && target.is_empty() {
            return Err(Error::MissingTargetLabel { action: name });
        }
        if action == Replace && !target.contains('$') && !valid(target) {
            return Err(bad_target());
        }
        if action == Replace && target.contains('$') && !valid_template(target) {
            return Err(bad_target());
        }
        if writes_plain && !valid(target) {
            return Err(bad_target());
        }
        if writes_plain && self.replacement != DEFAULT_REPLACEMENT {
            return Err(Error::ReplacementNotAllowed { action: name });
        }
        if action == LabelMap && !valid_template(&self.replacement) {
            return Err(Error::InvalidReplacement {
                replacement: self.replacement.clone(),
                action: name,
            });
        }
        if action == HashMod && !valid(target) {
            return Err(bad_target());
        }
        self.validate_extra_fields()
    }

    /// `keepequal`/`dropequal` and `labeldrop`/`labelkeep` accept only some fields.
    fn validate_extra_fields(&self) -> Result<()> {
        let action = self.action;
        let common_defaults = self.modulus == 0
            && self.separator == DEFAULT_SEPARATOR
            && self.replacement == DEFAULT_REPLACEMENT;
        match action {
            Action::KeepEqual | Action::DropEqual
                if !(common_defaults && self.has_default_regex()) =>
            {
                Err(Error::EqualActionExtraFields {
                    action: action.as_str(),
                })
            }
            Action::LabelDrop | Action::LabelKeep
                if !(common_defaults
                    && self.source_labels.is_empty()
                    && self.target_label.is_empty()) =>
            {
                Err(Error::LabelActionExtraFields {
                    action: action.as_str(),
                })
            }
            _ => Ok(()),
        }
    }
}

/// Whether `s` is a legacy label name in which `$name`/`${name}` references may appear
/// (Prometheus's `relabelTargetLegacy`, `^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$`).
fn is_legacy_template(s: &str) -> bool {
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'$' => {
                let braced = b.get(i + 1) == Some(&b'{');
                let start = i + 1 + usize::from(braced);
                let end = start + b[start..].iter().take_while(|&&c| word(c)).count();
                if end == start || (braced && b.get(end) != Some(&b'}')) {
                    return false;
                }
                i = end + usize::from(braced);
            }
            c if c.is_ascii_alphabetic() || c == b'_' => i += 1,
            c if c.is_ascii_digit() && i > 0 => i += 1,
            _ => return false,
        }
    }
    !b.is_empty()
}

#[cfg(test)]
mod tests {
    use super::is_legacy_template;

    #[test]
    fn legacy_templates() {
        for ok in [
            "a",
            "_a1",
            "$1",
            "${1}",
            "foo_${bar}",
            "$1abc",
            "x$y9",
            "${a}${b}",
        ] {
            assert!(is_legacy_template(ok), "{ok}");
        }
        for bad in ["", "1a", "$", "${}", "${a", "a-b", "a.$1", "$-"] {
            assert!(!is_legacy_template(bad), "{bad}");
        }
    }
}
