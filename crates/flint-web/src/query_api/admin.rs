//! `/api/v1/admin/tsdb/{delete_series,clean_tombstones,snapshot}` (POST and PUT), answered
//! only with `--web.enable-admin-api`.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use serde::Serialize;

use super::form::Form;
use super::params::{MAX_TIME, MIN_TIME, invalid_param, parse_go_bool, time_param};
use super::respond::{self, Notes};
use super::{QueryApi, blocking};
use crate::api::{ApiError, ErrorType};

/// The admin routes.
pub fn routes() -> Router<QueryApi> {
    Router::new()
        .route(
            "/api/v1/admin/tsdb/delete_series",
            post(delete_series).put(delete_series),
        )
        .route(
            "/api/v1/admin/tsdb/clean_tombstones",
            post(clean_tombstones).put(clean_tombstones),
        )
        .route("/api/v1/admin/tsdb/snapshot", post(snapshot).put(snapshot))
}

/// The database when the admin API is on.
fn admin_db(api: &QueryApi) -> Result<flint_tsdb::Db, ApiError> {
    if !api.opts().enable_admin {
        return Err(ApiError::new(ErrorType::Unavailable, "admin APIs disabled"));
    }
    api.opts()
        .db
        .clone()
        .ok_or_else(|| respond::internal("no local TSDB"))
}

async fn delete_series(State(api): State<QueryApi>, form: Form) -> Response {
    let checked = admin_db(&api).and_then(|db| {
        let selectors = form.values("match[]");
        if selectors.is_empty() {
            return Err(ApiError::bad_data("no match[] parameter provided"));
        }
        let start = time_param(&form, "start", MIN_TIME)?;
        let end = time_param(&form, "end", MAX_TIME)?;
        let sets = selectors
            .iter()
            .map(|s| {
                flint_promql::parser::parse_metric_selector(s)
                    .map_err(|e| invalid_param("match[]", e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((db, start, end, sets))
    });
    let (db, start, end, sets) = match checked {
        Ok(c) => c,
        Err(e) => return respond::fail(e),
    };
    blocking(move || {
        for m in &sets {
            if let Err(e) = db.delete(start, end, m) {
                return respond::fail(respond::internal(e.to_string()));
            }
        }
        respond::no_content()
    })
    .await
}

async fn clean_tombstones(State(api): State<QueryApi>) -> Response {
    let db = match admin_db(&api) {
        Ok(db) => db,
        Err(e) => return respond::fail(e),
    };
    blocking(move || match db.clean_tombstones() {
        Ok(()) => respond::no_content(),
        Err(e) => respond::fail(respond::internal(e.to_string())),
    })
    .await
}

#[derive(Serialize)]
struct Snapshot {
    name: String,
}

/// `<UTC time>-<16 hex digits>`, as upstream names snapshots.
fn snapshot_name() -> String {
    let now = jiff::Timestamp::now();
    let mut random = [0u8; 8];
    random_bits(&mut random);
    format!(
        "{}-{:016x}",
        now.strftime("%Y%m%dT%H%M%SZ"),
        u64::from_le_bytes(random) >> 1
    )
}

/// Random bits from the hash of the time and the process (no RNG crate needed for names).
fn random_bits(buf: &mut [u8; 8]) {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    *buf = h.finish().to_le_bytes();
}

async fn snapshot(State(api): State<QueryApi>, form: Form) -> Response {
    let checked = admin_db(&api).and_then(|db| {
        let skip_head = match form.value("skip_head") {
            "" => false,
            v => parse_go_bool(v)
                .map_err(|e| invalid_param("skip_head", format!("unable to parse boolean: {e}")))?,
        };
        Ok((db, skip_head))
    });
    let (db, skip_head) = match checked {
        Ok(c) => c,
        Err(e) => return respond::fail(e),
    };
    blocking(move || {
        let name = snapshot_name();
        let dir = db.dir().join("snapshots").join(&name);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            return respond::fail(respond::internal(format!("create snapshot directory: {e}")));
        }
        match db.snapshot(&dir, !skip_head) {
            Ok(()) => respond::success(&Snapshot { name }, &Notes::default()),
            Err(e) => respond::fail(respond::internal(format!("create snapshot: {e}"))),
        }
    })
    .await
}
