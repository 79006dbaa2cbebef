//! Framework-neutral HTTP exposition (feature `http`): content negotiation and gzip.

use std::io::Write as _;

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use http::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue, VARY};
use http::{Request, Response, StatusCode};

use crate::Registry;

/// Builds the scrape response for a request: the format is negotiated from `Accept`
/// (Prometheus text, OpenMetrics or protobuf) and the body is gzipped when
/// `Accept-Encoding` allows it.
///
/// ```
/// # use flint_client::{Registry, metrics::gauge::Gauge};
/// let registry = Registry::new();
/// registry.register("up", "Up.", Gauge::with_value(1.0)).unwrap();
/// let req = http::Request::get("/metrics")
///     .header("accept", "application/openmetrics-text;version=1.0.0")
///     .body(())
///     .unwrap();
/// let resp = flint_client::http::respond(&registry, &req);
/// assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
/// assert!(resp.body().ends_with(b"# EOF\n"));
/// ```
pub fn respond<B>(registry: &Registry, req: &Request<B>) -> Response<Bytes> {
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    encode_response(registry, header(ACCEPT), header(ACCEPT_ENCODING))
}

/// Like [`respond`], from the raw `Accept` and `Accept-Encoding` header values.
pub fn encode_response(
    registry: &Registry,
    accept: Option<&str>,
    accept_encoding: Option<&str>,
) -> Response<Bytes> {
    let format = flint_expfmt::negotiate(accept);
    let mut body = Vec::with_capacity(16 * 1024);
    registry.encode_to(format, &mut body);
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, format.content_type())
        .header(VARY, "Accept, Accept-Encoding");
    if accepts_gzip(accept_encoding)
        && let Some(zipped) = gzip(&body)
    {
        body = zipped;
        builder = builder.header(CONTENT_ENCODING, "gzip");
    }
    builder.body(Bytes::from(body)).unwrap_or_else(|_| {
        let mut resp = Response::new(Bytes::new());
        *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        resp
    })
}

/// Whether `Accept-Encoding` lists gzip (or `*`) with a non-zero quality.
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let Some(value) = accept_encoding else {
        return false;
    };
    value.split(',').any(|part| {
        let mut pieces = part.split(';').map(str::trim);
        let coding = pieces.next().unwrap_or_default();
        let q_zero = pieces.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f64>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !q_zero
    })
}

/// `body` gzipped at the fastest level; `None` if compression failed.
pub fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut enc = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    enc.write_all(body).ok()?;
    enc.finish().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::counter::Counter;
    use std::io::Read as _;

    #[test]
    fn gzip_negotiation() {
        assert!(accepts_gzip(Some("gzip")));
        assert!(accepts_gzip(Some("deflate, gzip;q=0.5")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(None));
    }

    #[test]
    fn gzipped_text_round_trips() {
        let registry = Registry::new();
        let c = Counter::default();
        c.inc();
        registry.register("hits", "Hits.", c).unwrap_or_default();
        let resp = encode_response(&registry, Some("text/plain"), Some("gzip"));
        assert_eq!(resp.headers()[CONTENT_ENCODING], "gzip");
        assert!(
            resp.headers()[CONTENT_TYPE]
                .to_str()
                .is_ok_and(|v| v.starts_with("text/plain"))
        );
        let mut text = String::new();
        let decoded = flate2::read::GzDecoder::new(&resp.body()[..]).read_to_string(&mut text);
        assert!(decoded.is_ok());
        assert!(text.contains("hits_total 1\n"), "{text}");
    }

    #[test]
    fn protobuf_is_negotiated() {
        let registry = Registry::new();
        let accept = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
        let resp = encode_response(&registry, Some(accept), None);
        let ct = resp.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        assert!(ct.starts_with("application/vnd.google.protobuf"), "{ct}");
    }
}
