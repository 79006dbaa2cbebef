//! Secrets: passwords, tokens, credentials. Shown as `<secret>` everywhere config is rendered.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a secret renders as.
pub const SECRET_MASK: &str = "<secret>";

/// A secret string. `Debug` and `Serialize` show [`SECRET_MASK`]; only
/// [`Secret::expose`] gives the value.
#[derive(Clone, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value, for the code that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty (not set).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SECRET_MASK)
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_empty() {
            s.serialize_str("")
        } else {
            s.serialize_str(SECRET_MASK)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "<secret>");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"<secret>\"");
        assert_eq!(s.expose(), "hunter2");
    }
}
