//! The web UI over HTTP: the pages' HTML, the silence form (preview, errors, create, edit)
//! and expiring, with alerts posted through API v2.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{Server, alert};

const CFG: &str = "global:\n  smtp_auth_password: hunter2\nroute:\n  receiver: team-web\n  group_by: [alertname]\n  group_wait: 1h\n  routes:\n  - receiver: team-db\n    matchers: ['team=\"db\"']\nreceivers: [{name: team-web}, {name: team-db}]\n";

/// A client that does not follow redirects (to see the 303s).
fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn page(s: &Server, path: &str) -> (u16, String) {
    let r = client()
        .get(format!("{}{path}", s.url))
        .send()
        .await
        .expect("get");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// POSTs a form body; answers (status, Location, body).
async fn post_form(s: &Server, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let r = client()
        .post(format!("{}{path}", s.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("post");
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (r.status().as_u16(), loc, r.text().await.unwrap_or_default())
}

/// Waits until the dispatcher holds `n` groups.
async fn wait_groups(s: &Server, n: usize) {
    let end = std::time::Instant::now() + Duration::from_secs(10);
    while s
        .get("/api/v2/alerts/groups")
        .await
        .as_array()
        .map(Vec::len)
        != Some(n)
    {
        assert!(std::time::Instant::now() < end, "groups never formed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The HTML of each `<section class="group"` on the alerts page.
fn groups(html: &str) -> Vec<&str> {
    html.split("<section class=\"group\"").skip(1).collect()
}

/// The fingerprint of the alert with `alertname` (from API v2).
async fn fingerprint(s: &Server, name: &str) -> String {
    let all = s.get("/api/v2/alerts").await;
    all.as_array()
        .and_then(|a| a.iter().find(|x| x["labels"]["alertname"] == name))
        .and_then(|x| x["fingerprint"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn matcher_fields<'a>(rows: &[(&'a str, &'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    rows.iter()
        .flat_map(|(n, o, v)| {
            [
                ("matcher_name", *n),
                ("matcher_op", *o),
                ("matcher_value", *v),
            ]
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_page_shows_groups_filters_and_escapes() {
    let s = Server::start(CFG).await;
    let (code, _) = s
        .post_alerts(&json!([
            alert(
                &[("alertname", "Disk"), ("team", "web"), ("host", "a")],
                None
            ),
            alert(
                &[("alertname", "Disk"), ("team", "web"), ("host", "b")],
                None
            ),
            alert(&[("alertname", "Disk"), ("team", "db")], None),
            alert(
                &[("alertname", "Evil"), ("x", "<script>alert(1)</script>")],
                None
            ),
        ]))
        .await;
    assert_eq!(code, 200);
    wait_groups(&s, 3).await;
    let (code, html) = page(&s, "/").await;
    assert_eq!(code, 200);
    assert!(html.contains("id=\"alert-groups\""), "{html}");
    let gs = groups(&html);
    assert_eq!(gs.len(), 3, "{html}");
    // Sorted by group labels, then receiver: Disk/team-db, Disk/team-web, Evil/team-web.
    assert!(gs[0].contains("data-receiver=\"team-db\""), "{}", gs[0]);
    assert!(gs[0].contains("<span>alertname=\"Disk\"</span>"));
    assert_eq!(gs[0].matches("class=\"alert\"").count(), 1);
    assert!(gs[1].contains("data-receiver=\"team-web\""));
    assert_eq!(gs[1].matches("class=\"alert\"").count(), 2);
    let fp = fingerprint(&s, "Evil").await;
    assert!(gs[2].contains(&format!("data-fingerprint=\"{fp}\"")));
    // Annotations, the state and the silence link with the labels as matchers.
    assert!(gs[2].contains("<dt>summary</dt><dd>s</dd>"));
    assert!(gs[2].contains("state-active"));
    assert!(gs[2].contains("/silences/new?matcher=alertname%3D%22Evil%22&#38;matcher=x%3D%22"));
    // Label values are escaped.
    assert!(!html.contains("<script>alert(1)"));
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html}"
    );
    // `/alerts` is the same page; the filter keeps matching alerts only.
    let (code, html) = page(&s, "/alerts?filter=%7Bteam%3D%22web%22%7D").await;
    assert_eq!(code, 200);
    let gs = groups(&html);
    assert_eq!(gs.len(), 1);
    assert_eq!(gs[0].matches("class=\"alert\"").count(), 2);
    assert!(
        html.contains("value=\"{team=&#34;web&#34;}\"")
            || html.contains("value=\"{team=&quot;web&quot;}\""),
        "{html}"
    );
    // A bad filter is reported on the page.
    let (code, html) = page(&s, "/?filter=%7Bteam%3D%22web%22").await;
    assert_eq!(code, 400);
    assert!(html.contains("id=\"filter-error\""), "{html}");
    assert!(html.contains("missing closing"), "{html}");
    assert!(groups(&html).is_empty());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_form_previews_validates_creates_edits_and_expires() {
    let s = Server::start(CFG).await;
    s.post_alerts(&json!([
        alert(&[("alertname", "Disk"), ("team", "web")], None),
        alert(&[("alertname", "Cpu"), ("team", "web")], None),
    ]))
    .await;
    wait_groups(&s, 2).await;
    let disk = fingerprint(&s, "Disk").await;
    let cpu = fingerprint(&s, "Cpu").await;

    // The "Silence" link's target prefills the matchers (plus three empty rows).
    let (code, html) = page(
        &s,
        "/silences/new?matcher=alertname%3D%22Disk%22&matcher=team%3D%22web%22",
    )
    .await;
    assert_eq!(code, 200);
    assert!(
        html.contains("name=\"matcher_name\" value=\"alertname\""),
        "{html}"
    );
    assert!(html.contains("name=\"matcher_value\" value=\"Disk\""));
    assert_eq!(html.matches("name=\"matcher_name\"").count(), 5);
    assert!(html.contains("name=\"action\" value=\"preview\""));
    assert!(html.contains("name=\"action\" value=\"create\""));
    let (_, html) = page(&s, "/silences/new?filter=%7Bteam%3D~%22w.*%22%7D").await;
    assert!(html.contains("<option value=\"=~\" selected>"), "{html}");

    let rows = [("alertname", "=", "Disk"), ("", "=", "")];
    let mut fields = matcher_fields(&rows);
    fields.extend([
        ("duration", "2h"),
        ("created_by", "me"),
        ("comment", "disk swap"),
    ]);
    // Preview lists the alert the matchers mute, and only that one.
    let mut preview = fields.clone();
    preview.push(("action", "preview"));
    let (code, _, html) = post_form(&s, "/silences/new", &preview).await;
    assert_eq!(code, 200, "{html}");
    let section = html
        .split("id=\"preview-alerts\"")
        .nth(1)
        .unwrap_or_default();
    assert!(
        section.contains(&format!("data-fingerprint=\"{disk}\"")),
        "{html}"
    );
    assert!(!section.contains(&format!("data-fingerprint=\"{cpu}\"")));
    assert!(html.contains("disk swap</textarea>"));

    // Errors re-render the form with the message and what was entered.
    let mut bad = matcher_fields(&[("alertname", "=~", "(")]);
    bad.extend([
        ("duration", "2h"),
        ("created_by", "me"),
        ("comment", "kept"),
        ("action", "create"),
    ]);
    let (code, _, html) = post_form(&s, "/silences/new", &bad).await;
    assert_eq!(code, 400);
    assert!(html.contains("id=\"form-error\""), "{html}");
    assert!(html.contains("matcher 1:"));
    assert!(html.contains("kept</textarea>") && html.contains("value=\"(\""));
    let mut no_author: Vec<_> = fields
        .iter()
        .filter(|(k, _)| *k != "created_by")
        .cloned()
        .collect();
    no_author.push(("action", "create"));
    let (code, _, html) = post_form(&s, "/silences/new", &no_author).await;
    assert_eq!(code, 400);
    assert!(html.contains("created by is required"));
    let mut backwards = matcher_fields(&rows);
    backwards.extend([
        ("starts_at", "2030-01-02T00:00:00Z"),
        ("ends_at", "2030-01-01T00:00:00Z"),
        ("created_by", "me"),
        ("comment", "c"),
        ("action", "create"),
    ]);
    let (code, _, html) = post_form(&s, "/silences/new", &backwards).await;
    assert_eq!(code, 400);
    assert!(html.contains("Failed to create silence: start time must be before end time"));
    let (code, _, html) = post_form(
        &s,
        "/silences/new",
        &[
            ("duration", "1h"),
            ("created_by", "me"),
            ("comment", "c"),
            ("action", "create"),
        ],
    )
    .await;
    assert_eq!(code, 400);
    assert!(html.contains("at least one matcher required"), "{html}");
    assert_eq!(s.get("/api/v2/silences").await, json!([]));

    // Create: 303 to the silence's page; it is active and mutes the alert.
    let mut create = fields.clone();
    create.push(("action", "create"));
    let (code, loc, _) = post_form(&s, "/silences/new", &create).await;
    assert_eq!(code, 303);
    let id = loc
        .strip_prefix("/silences/")
        .unwrap_or_default()
        .to_string();
    assert!(!id.is_empty(), "{loc}");
    let sil = s.get(&format!("/api/v2/silence/{id}")).await;
    assert_eq!(sil["status"]["state"], "active");
    assert_eq!(sil["createdBy"], "me");
    let (code, html) = page(&s, &loc).await;
    assert_eq!(code, 200);
    assert!(html.contains(&format!("data-silence-id=\"{id}\"")));
    let muted = html
        .split("id=\"silenced-alerts\"")
        .nth(1)
        .unwrap_or_default();
    assert!(
        muted.contains(&format!("data-fingerprint=\"{disk}\"")),
        "{html}"
    );

    // On `/` the alert is hidden by default and suppressed with the silence's link when shown.
    let (_, html) = page(&s, "/").await;
    assert!(!html.contains(&format!("data-fingerprint=\"{disk}\"")));
    assert!(html.contains(&format!("data-fingerprint=\"{cpu}\"")));
    let (_, html) = page(&s, "/?silenced=true").await;
    let row = html
        .split(&format!("data-fingerprint=\"{disk}\""))
        .nth(1)
        .and_then(|r| r.split("</li>").next())
        .unwrap_or_default();
    assert!(row.contains("state-suppressed"), "{html}");
    assert!(row.contains(&format!("href=\"/silences/{id}\" data-silence-id=\"{id}\"")));

    // The list shows it as active.
    let (code, html) = page(&s, "/silences").await;
    assert_eq!(code, 200);
    let active = html
        .split("id=\"silences-active\"")
        .nth(1)
        .and_then(|r| r.split("id=\"silences-pending\"").next())
        .unwrap_or_default();
    assert!(
        active.contains(&format!("data-silence-id=\"{id}\"")),
        "{html}"
    );

    // The list's filter works like the API's.
    let (_, html) = page(&s, "/silences?filter=%7Balertname%3D%22Disk%22%7D").await;
    assert!(html.contains(&format!("data-silence-id=\"{id}\"")));
    let (_, html) = page(&s, "/silences?filter=%7Balertname%3D%22Nope%22%7D").await;
    assert!(!html.contains(&format!("data-silence-id=\"{id}\"")));
    let (code, html) = page(&s, "/silences?filter=%7Balertname").await;
    assert_eq!(code, 400);
    assert!(html.contains("id=\"filter-error\""));

    // Editing: the form holds the silence; changed matchers replace it under a new ID.
    let (code, html) = page(&s, &format!("/silences/{id}/edit")).await;
    assert_eq!(code, 200);
    assert!(html.contains("name=\"matcher_value\" value=\"Disk\""));
    assert!(html.contains("value=\"me\""));
    let ends = sil["endsAt"].as_str().unwrap_or_default().to_string();
    let starts = sil["startsAt"].as_str().unwrap_or_default().to_string();
    let mut edit = matcher_fields(&[("alertname", "=~", "Disk|Cpu")]);
    edit.extend([
        ("starts_at", starts.as_str()),
        ("ends_at", ends.as_str()),
        ("created_by", "me"),
        ("comment", "both"),
        ("action", "create"),
    ]);
    let (code, loc, body) = post_form(&s, &format!("/silences/{id}/edit"), &edit).await;
    assert_eq!(code, 303, "{body}");
    let new_id = loc
        .strip_prefix("/silences/")
        .unwrap_or_default()
        .to_string();
    assert_ne!(new_id, id);
    assert_eq!(
        s.get(&format!("/api/v2/silence/{id}")).await["status"]["state"],
        "expired"
    );
    // Same matchers and start: updated in place.
    let replaced = s.get(&format!("/api/v2/silence/{new_id}")).await;
    let starts = replaced["startsAt"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut edit = matcher_fields(&[("alertname", "=~", "Disk|Cpu")]);
    edit.extend([
        ("starts_at", starts.as_str()),
        ("ends_at", ends.as_str()),
        ("created_by", "me"),
        ("comment", "again"),
        ("action", "create"),
    ]);
    let (code, loc, _) = post_form(&s, &format!("/silences/{new_id}/edit"), &edit).await;
    assert_eq!(
        (code, loc.as_str()),
        (303, format!("/silences/{new_id}").as_str())
    );
    assert_eq!(
        s.get(&format!("/api/v2/silence/{new_id}")).await["comment"],
        "again"
    );

    // Expire: 303 to the list; the silence is over and the alert active again.
    let (code, loc, _) = post_form(&s, &format!("/silences/{new_id}/expire"), &[]).await;
    assert_eq!((code, loc.as_str()), (303, "/silences"));
    let v: Value = s.get(&format!("/api/v2/silence/{new_id}")).await;
    assert_eq!(v["status"]["state"], "expired");
    let (_, html) = page(&s, "/").await;
    assert!(html.contains(&format!("data-fingerprint=\"{disk}\"")));
    let (_, html) = page(&s, &format!("/silences/{new_id}")).await;
    assert!(html.contains("has expired and mutes nothing"));
    assert!(html.contains("Recreate") && !html.contains("id=\"expire\""));
    let (code, _) = page(&s, "/silences/no-such-id").await;
    assert_eq!(code, 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_page_shows_build_cluster_and_masked_config() {
    let s = Server::start(CFG).await;
    let (code, html) = page(&s, "/status").await;
    assert_eq!(code, 200);
    assert!(html.contains("<td>0.1.0</td>"), "{html}");
    assert!(html.contains("id=\"cluster-status\">disabled<"));
    assert!(html.contains("team-db"));
    assert!(
        html.contains("smtp_auth_password: &#60;secret&#62;"),
        "{html}"
    );
    assert!(!html.contains("hunter2"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_links_live_under_the_route_prefix() {
    let s = Server::start_prefixed(CFG, "/am").await;
    for path in [
        "/am",
        "/am/",
        "/am/alerts",
        "/am/silences",
        "/am/silences/new",
        "/am/status",
    ] {
        let (code, html) = page(&s, path).await;
        assert_eq!(code, 200, "{path}");
        assert!(html.contains("href=\"/am/silences\""), "{path}: {html}");
    }
    for path in [
        "/am/-/healthy",
        "/am/-/ready",
        "/am/api/v2/status",
        "/am/metrics",
    ] {
        assert_eq!(page(&s, path).await.0, 200, "{path}");
    }
    assert_eq!(page(&s, "/silences").await.0, 404);
    let mut f = matcher_fields(&[("a", "=", "b")]);
    f.extend([
        ("duration", "1h"),
        ("created_by", "me"),
        ("comment", "c"),
        ("action", "create"),
    ]);
    let (code, loc, _) = post_form(&s, "/am/silences/new", &f).await;
    assert_eq!(code, 303);
    assert!(loc.starts_with("/am/silences/"), "{loc}");
    let (code, loc, _) = post_form(&s, &format!("{loc}/expire"), &[]).await;
    assert_eq!((code, loc.as_str()), (303, "/am/silences"));
    s.stop().await;
}
