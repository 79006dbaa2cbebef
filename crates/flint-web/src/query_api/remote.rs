//! The remote-storage endpoints. `POST /api/v1/write`: the remote-write receiver (1.0 and
//! 2.0), on with
//! `--web.enable-remote-write-receiver`; `POST /api/v1/read`: remote read from the local
//! storage, SAMPLES or streamed XOR chunks. Errors are plain text, as upstream's.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::{QueryApi, blocking};

/// Bodies above this are refused (413) before decoding; a 1.0 sender's batches are far
/// smaller (2000 samples by default).
const MAX_BODY: usize = 32 << 20;

/// The remote-storage routes.
pub fn routes() -> Router<QueryApi> {
    Router::new()
        .route("/api/v1/write", post(write))
        .route("/api/v1/read", post(read))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// Plain-text error answer with `status`.
fn refuse(status: u16, e: &dyn std::fmt::Display) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!(error = %e, "remote storage request failed");
    } else {
        tracing::warn!(error = %e, "remote storage request refused");
    }
    (status, format!("{e}\n")).into_response()
}

async fn read(State(api): State<QueryApi>, body: Bytes) -> Response {
    let external = api.external_labels();
    let plan = match flint_remote::read::ReadPlan::decode(&body, &external) {
        Ok(p) => p,
        Err(e) => return refuse(e.status(), &e),
    };
    if plan.is_streamed() {
        return streamed(api, plan, external);
    }
    blocking(move || {
        let opts = api.opts();
        match plan.samples(local(opts), &external, opts.remote_read_sample_limit) {
            Ok(resp) => (
                [
                    (header::CONTENT_TYPE, "application/x-protobuf"),
                    (header::CONTENT_ENCODING, "snappy"),
                ],
                resp,
            )
                .into_response(),
            Err(e) => refuse(e.status(), &e),
        }
    })
    .await
}

/// Local data only: answering from the `remote_read` endpoints too could loop.
fn local(opts: &super::QueryApiOptions) -> &dyn flint_storage::Queryable {
    match &opts.db {
        Some(db) => db,
        None => opts.storage.as_ref(),
    }
}

/// Frames in flight between the blocking reader and the connection.
const FRAMES_IN_FLIGHT: usize = 4;

/// The STREAMED_XOR_CHUNKS answer: frames are made on a blocking thread and sent as they
/// come, so memory holds a few frames, not the whole answer. An error after the first
/// frame can only end the stream early (the status is already sent), as upstream's.
fn streamed(
    api: QueryApi,
    plan: flint_remote::read::ReadPlan,
    external: Vec<(String, String)>,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(FRAMES_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let opts = api.opts();
        let mut emit = |frame: Vec<u8>| tx.blocking_send(Bytes::from(frame)).is_ok();
        if let Err(e) = plan.stream(
            local(opts),
            &external,
            opts.remote_read_max_bytes_in_frame,
            &mut emit,
        ) {
            tracing::error!(error = %e, "streamed remote read failed");
        }
    });
    (
        [(
            header::CONTENT_TYPE,
            flint_remote::read::STREAMED_CONTENT_TYPE,
        )],
        axum::body::Body::new(ChannelBody(rx)),
    )
        .into_response()
}

/// A response body fed by a channel of frames.
struct ChannelBody(tokio::sync::mpsc::Receiver<Bytes>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|frame| frame.map(|b| Ok(http_body::Frame::data(b))))
    }
}

async fn write(State(api): State<QueryApi>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(receiver) = api.opts().remote_write.clone() else {
        return (
            StatusCode::NOT_FOUND,
            "remote write receiver needs to be enabled with --web.enable-remote-write-receiver\n",
        )
            .into_response();
    };
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header_text(header::CONTENT_TYPE);
    let encoding = header_text(header::CONTENT_ENCODING);
    blocking(
        move || match receiver.receive(content_type.as_deref(), encoding.as_deref(), &body) {
            Ok(stats) => {
                let mut resp = StatusCode::NO_CONTENT.into_response();
                for (name, value) in stats.written_headers() {
                    if let Ok(v) = header::HeaderValue::from_str(&value) {
                        resp.headers_mut().insert(name, v);
                    }
                }
                resp
            }
            Err(e) => refuse(e.status(), &e),
        },
    )
    .await
}
