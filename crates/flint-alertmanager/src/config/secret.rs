//! Secrets that print as `<secret>`, and URLs validated at load time.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What secrets print as.
pub const SECRET_TOKEN: &str = "<secret>";

/// A string that must not be revealed when the config is printed or served.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The real value, for use in requests.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty (not configured).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SECRET_TOKEN)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Secret(
            Option::<String>::deserialize(d)?.unwrap_or_default(),
        ))
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_empty() {
            s.serialize_none()
        } else {
            s.serialize_str(SECRET_TOKEN)
        }
    }
}

/// An `http` or `https` URL with a host, checked when the config loads.
#[derive(Clone, PartialEq, Eq)]
pub struct Url(pub url::Url);

impl Url {
    /// Parses and checks scheme and host (upstream's `parseURL`).
    pub fn parse(s: &str) -> Result<Self, String> {
        let u = url::Url::parse(s).map_err(|e| format!("parse {s:?}: {e}"))?;
        if u.scheme() != "http" && u.scheme() != "https" {
            return Err(format!("unsupported scheme {:?} for URL", u.scheme()));
        }
        if u.host_str().is_none_or(str::is_empty) {
            return Err("missing host for URL".into());
        }
        Ok(Url(u))
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Appends `/` to the path when missing (several integrations' base URLs).
    pub fn with_trailing_slash(mut self) -> Self {
        if !self.0.path().ends_with('/') {
            let p = format!("{}/", self.0.path());
            self.0.set_path(&p);
        }
        self
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for Url {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Url::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Url {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

/// A URL that is itself a secret (webhook URLs with tokens in them).
///
/// `<secret>` is accepted on input so a config printed by the API loads again.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(pub Option<Url>);

impl SecretUrl {
    /// The URL, unless this came from a masked `<secret>`.
    pub fn url(&self) -> Option<&Url> {
        self.0.as_ref()
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SECRET_TOKEN)
    }
}

impl<'de> Deserialize<'de> for SecretUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == SECRET_TOKEN {
            return Ok(SecretUrl(None));
        }
        // The URL is a secret: keep it out of error messages.
        Url::parse(&s)
            .map(|u| SecretUrl(Some(u)))
            .map_err(|e| serde::de::Error::custom(e.replace(&s, "[REDACTED]")))
    }
}

impl Serialize for SecretUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(SECRET_TOKEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "<secret>");
        assert_eq!(
            serde_json::to_string(&s).ok().as_deref(),
            Some("\"<secret>\"")
        );
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn urls_are_checked() {
        assert!(Url::parse("https://example.com/x").is_ok());
        assert_eq!(
            Url::parse("ftp://example.com").unwrap_err(),
            "unsupported scheme \"ftp\" for URL"
        );
        let u = Url::parse("https://a.example").map(Url::with_trailing_slash);
        assert_eq!(
            u.map(|u| u.to_string()).ok().as_deref(),
            Some("https://a.example/")
        );
    }
}
