//! `--web.external-url` and `--web.route-prefix` as Prometheus computes them: the external
//! URL defaults to `http://<hostname>:<listen port>`, loses a trailing slash, and may not be
//! quoted; the route prefix defaults to the external URL's path.

use anyhow::{Context, bail};

/// The external URL and the route prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrls {
    /// The URL the server is reachable at, without a trailing slash.
    pub external: String,
    /// Where routes are served (`/` or `/<path>`).
    pub prefix: String,
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

impl WebUrls {
    /// From the flags and the port the server listens on.
    pub fn new(
        external_url: Option<&str>,
        route_prefix: Option<&str>,
        port: u16,
    ) -> anyhow::Result<Self> {
        let raw = match external_url {
            Some(u) if !u.is_empty() => u.to_string(),
            _ => format!("http://{}:{port}/", hostname()),
        };
        let quotes = ['"', '\''];
        if raw.starts_with(quotes) || raw.ends_with(quotes) {
            bail!("parse external URL {raw:?}: URL must not begin or end with quotes");
        }
        let u = url::Url::parse(&raw).with_context(|| format!("parse external URL {raw:?}"))?;
        let path = u.path().trim_end_matches('/');
        let mut external = format!(
            "{}://{}",
            u.scheme(),
            &u[url::Position::BeforeUsername..url::Position::AfterPort]
        );
        external.push_str(path);
        let prefix = match route_prefix {
            Some(p) if !p.is_empty() => p,
            _ => path,
        };
        Ok(WebUrls {
            external,
            prefix: flint_web::prefix::normalize(prefix),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_url_and_prefix() {
        let w = WebUrls::new(Some("https://prom.example.com/prometheus/"), None, 9090).unwrap();
        assert_eq!(w.external, "https://prom.example.com/prometheus");
        assert_eq!(w.prefix, "/prometheus");
        let w = WebUrls::new(Some("http://a:8080/x"), Some("/"), 9090).unwrap();
        assert_eq!(
            (w.external.as_str(), w.prefix.as_str()),
            ("http://a:8080/x", "/")
        );
        let w = WebUrls::new(None, Some("inner/"), 9191).unwrap();
        assert!(w.external.starts_with("http://") && w.external.ends_with(":9191"));
        assert_eq!(w.prefix, "/inner");
        assert!(WebUrls::new(Some("'http://x'"), None, 1).is_err());
        assert!(WebUrls::new(Some("not a url"), None, 1).is_err());
    }
}
