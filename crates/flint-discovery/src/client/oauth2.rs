//! `oauth2`: the client-credentials flow. A token is fetched from `token_url` (with
//! `scopes` and `endpoint_params`, through the block's own TLS and proxy settings), kept
//! until ten seconds before it expires, and fetched again after that or when the client
//! secret (inline or `client_secret_file`, re-read on every request) changes. The client
//! authenticates with HTTP basic auth and, should the endpoint refuse that, with
//! `client_id`/`client_secret` form fields (Go's auto-detected auth style).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use flint_config::http_client::OAuth2;
use reqwest::header::HeaderValue;

use crate::error::{Error, Result};

/// How long before its expiry a token is replaced (Go's `expiryDelta`).
const EXPIRY_DELTA: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
struct Token {
    header: HeaderValue,
    expiry: Option<Instant>,
}

impl Token {
    fn valid(&self) -> bool {
        self.expiry
            .is_none_or(|e| Instant::now() + EXPIRY_DELTA < e)
    }
}

#[derive(Debug, Default)]
struct State {
    secret: String,
    token: Option<Token>,
    /// The endpoint wanted the credentials in the form (learned on the first refusal).
    in_params: bool,
}

/// A token source for one `oauth2` block.
#[derive(Debug)]
pub struct TokenSource {
    cfg: OAuth2,
    client: reqwest::Client,
    state: tokio::sync::Mutex<State>,
}

impl TokenSource {
    /// A source fetching through `client` (built from the block's TLS and proxy settings).
    pub fn new(cfg: OAuth2, client: reqwest::Client) -> Self {
        TokenSource {
            cfg,
            client,
            state: tokio::sync::Mutex::new(State::default()),
        }
    }

    fn secret(&self) -> Result<String> {
        if self.cfg.client_secret_file.is_empty() {
            return Ok(self.cfg.client_secret.expose().to_string());
        }
        std::fs::read_to_string(&self.cfg.client_secret_file)
            .map(|s| s.trim().to_string())
            .map_err(|source| Error::ClientFile {
                path: self.cfg.client_secret_file.clone(),
                source,
            })
    }

    /// The `Authorization` value of a valid cached token, without waiting or fetching.
    pub fn cached(&self) -> Option<HeaderValue> {
        let st = self.state.try_lock().ok()?;
        st.token
            .as_ref()
            .filter(|t| t.valid())
            .map(|t| t.header.clone())
    }

    /// The `Authorization` value to send, fetching a token when there is no valid one.
    pub async fn header(&self) -> Result<HeaderValue> {
        let secret = self.secret()?;
        let mut st = self.state.lock().await;
        if st.secret != secret {
            st.secret = secret;
            st.token = None;
        }
        if let Some(t) = st.token.as_ref().filter(|t| t.valid()) {
            return Ok(t.header.clone());
        }
        let token = match self.fetch(&st.secret, st.in_params).await {
            Ok(t) => t,
            Err(Refused(first)) if !st.in_params => {
                let t = self
                    .fetch(&st.secret, true)
                    .await
                    .map_err(|_| self.error(first))?;
                st.in_params = true;
                t
            }
            Err(Refused(e)) => return Err(self.error(e)),
        };
        let header = token.header.clone();
        st.token = Some(token);
        Ok(header)
    }

    fn error(&self, message: String) -> Error {
        Error::OAuth2 {
            url: self.cfg.token_url.clone(),
            message,
        }
    }

    async fn fetch(&self, secret: &str, in_params: bool) -> std::result::Result<Token, Refused> {
        let mut form: BTreeMap<&str, String> = BTreeMap::new();
        form.insert("grant_type", "client_credentials".into());
        if !self.cfg.scopes.is_empty() {
            form.insert("scope", self.cfg.scopes.join(" "));
        }
        for (k, v) in &self.cfg.endpoint_params {
            form.insert(k, v.clone());
        }
        if in_params {
            form.insert("client_id", self.cfg.client_id.clone());
            form.insert("client_secret", secret.to_string());
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter())
            .finish();
        let mut rb = self
            .client
            .post(&self.cfg.token_url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body);
        if !in_params {
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            rb = rb.basic_auth(enc(&self.cfg.client_id), Some(enc(secret)));
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| Refused(format!("cannot fetch token: {}", e.without_url())))?;
        let status = resp.status();
        let ct = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = resp
            .text()
            .await
            .map_err(|e| Refused(format!("cannot fetch token: {}", e.without_url())))?;
        if !status.is_success() {
            return Err(Refused(format!(
                "cannot fetch token: {status}\nResponse: {text}"
            )));
        }
        parse_token(&ct, &text).map_err(Refused)
    }
}

/// A refused or failed token request, with its message.
struct Refused(String);

/// The token of a response: JSON, or form-encoded when the endpoint says so.
fn parse_token(content_type: &str, body: &str) -> std::result::Result<Token, String> {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    let (access, kind, expires) =
        if mime == "application/x-www-form-urlencoded" || mime == "text/plain" {
            let pairs: BTreeMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect();
            (
                pairs.get("access_token").cloned().unwrap_or_default(),
                pairs.get("token_type").cloned().unwrap_or_default(),
                pairs.get("expires_in").and_then(|e| e.parse::<f64>().ok()),
            )
        } else {
            let v: serde_json::Value =
                serde_json::from_str(body).map_err(|e| format!("cannot parse json: {e}"))?;
            let expires = match &v["expires_in"] {
                serde_json::Value::Number(n) => n.as_f64(),
                serde_json::Value::String(s) => s.parse().ok(),
                _ => None,
            };
            (
                v["access_token"].as_str().unwrap_or("").to_string(),
                v["token_type"].as_str().unwrap_or("").to_string(),
                expires,
            )
        };
    if access.is_empty() {
        return Err("server response missing access_token".into());
    }
    // Go's `Token.Type`: the common schemes capitalized, Bearer when none.
    let kind = match kind.to_ascii_lowercase().as_str() {
        "" | "bearer" => "Bearer".to_string(),
        "mac" => "MAC".to_string(),
        "basic" => "Basic".to_string(),
        _ => kind,
    };
    let header = HeaderValue::from_str(&format!("{kind} {access}"))
        .map_err(|e| format!("invalid access_token: {e}"))?;
    let expiry = expires
        .filter(|e| *e > 0.0 && e.is_finite())
        .map(|e| Instant::now() + Duration::from_secs_f64(e.min(1e9)));
    Ok(Token { header, expiry })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_responses() {
        let t = parse_token(
            "application/json",
            r#"{"access_token":"abc","token_type":"bearer","expires_in":3600}"#,
        )
        .unwrap();
        assert_eq!(t.header, "Bearer abc");
        assert!(t.valid());
        let t = parse_token(
            "application/json",
            r#"{"access_token":"abc","expires_in":5}"#,
        )
        .unwrap();
        assert!(!t.valid(), "within the expiry delta");
        let t = parse_token("application/json", r#"{"access_token":"abc"}"#).unwrap();
        assert!(t.valid(), "no expiry: forever");
        let t = parse_token("application/x-www-form-urlencoded", "access_token=x%2By").unwrap();
        assert_eq!(t.header, "Bearer x+y");
        let t = parse_token("text/plain", "access_token=xy&token_type=mac").unwrap();
        assert_eq!(t.header, "MAC xy");
        assert!(parse_token("application/json", "{}").is_err());
        assert!(parse_token("application/json", "nope").is_err());
    }
}
