use std::path::PathBuf;

use super::*;

fn fixtures() -> PathBuf {
    flint_testkit::testdata_dir().join("alertmanager/config")
}

const LOADS: &[&str] = &[
    "conf.good.yml",
    "conf.empty-fields.yml",
    "conf.group-by-all.yml",
    "conf.http-config.good.yml",
    "conf.mattermost-default-webhook-url.yml",
    "conf.mattermost-default-webhook-url-file.yml",
    "conf.opsgenie-default-apikey.yml",
    "conf.opsgenie-default-apikey-file.yml",
    "conf.rocketchat-default-token.yml",
    "conf.rocketchat-default-token-file.yml",
    "conf.slack-default-api-url-file.yml",
    "conf.slack-default-app-token.yml",
    "conf.smtp-no-username-or-password.yml",
    "conf.smtp-password-global-and-local.yml",
    "conf.sns-topic-arn.yml",
    "conf.telegram-default-bot-token.yml",
    "conf.telegram-default-bot-token-file.yml",
    "conf.victorops-default-apikey.yml",
    "conf.victorops-default-apikey-file.yml",
    "conf.wechat-default-api-secret-file.yml",
];

/// Rejected fixtures and a fragment of the reason we expect.
const REJECTED: &[(&str, &str)] = &[
    (
        "conf.mattermost-both-webhook-url-and-file.yml",
        "at most one of mattermost_webhook_url",
    ),
    (
        "conf.mattermost-valid-receiver-both-webhook-url-and-file.yml",
        "at most one of mattermost_webhook_url",
    ),
    (
        "conf.mattermost-no-webhook-url.yml",
        "no global Mattermost Webhook URL",
    ),
    ("conf.nil-match_re-route.yml", "invalid_label"),
    (
        "conf.nil-source_match_re-inhibition.yml",
        "invalid_source_label",
    ),
    (
        "conf.nil-target_match_re-inhibition.yml",
        "invalid_target_label",
    ),
    (
        "conf.opsgenie-both-file-and-apikey.yml",
        "at most one of opsgenie_api_key",
    ),
    ("conf.opsgenie-no-apikey.yml", "no global OpsGenie API Key"),
    ("conf.opsgenie-default-apikey-old-team.yml", "teams"),
    (
        "conf.rocketchat-both-token-and-tokenfile.yml",
        "at most one of rocketchat_token &",
    ),
    (
        "conf.rocketchat-both-tokenid-and-tokenidfile.yml",
        "at most one of rocketchat_token_id",
    ),
    ("conf.rocketchat-no-token.yml", "no global Rocketchat"),
    (
        "conf.slack-both-file-and-token.yml",
        "at most one of slack_app_token",
    ),
    (
        "conf.slack-both-file-and-url.yml",
        "at most one of slack_api_url &",
    ),
    ("conf.slack-both-url-and-token.yml", "slack_app_token"),
    (
        "conf.slack-no-api-url-or-token.yml",
        "no Slack API URL nor App token",
    ),
    (
        "conf.slack-update-message-and-webhook.yml",
        "update_message",
    ),
    (
        "conf.smtp-both-password-and-file.yml",
        "at most one of smtp_auth_password",
    ),
    (
        "conf.sns-invalid.yml",
        "Target ARN, Topic ARN, or Phone Number",
    ),
    (
        "conf.telegram-both-bot-token-and-file.yml",
        "at most one of telegram_bot_token",
    ),
    (
        "conf.telegram-valid-receiver-both-bot-token-and-file.yml",
        "at most one of telegram_bot_token",
    ),
    ("conf.telegram-no-bot-token.yml", "bot_token"),
    (
        "conf.victorops-both-file-and-apikey.yml",
        "at most one of victorops_api_key",
    ),
    (
        "conf.victorops-no-apikey.yml",
        "no global VictorOps API Key",
    ),
    (
        "conf.wechat-both-file-and-secret.yml",
        "at most one of wechat_api_secret",
    ),
    (
        "conf.wechat-no-api-secret.yml",
        "no global Wechat ApiSecret",
    ),
];

#[test]
fn upstream_fixtures() {
    let mut seen = 0;
    for f in LOADS {
        if let Err(e) = Config::load_file(&fixtures().join(f)) {
            panic!("{f} should load: {e}");
        }
        seen += 1;
    }
    for (f, why) in REJECTED {
        match Config::load_file(&fixtures().join(f)) {
            Ok(_) => panic!("{f} should be rejected"),
            Err(e) => assert!(e.to_string().contains(why), "{f}: {e} (want {why:?})"),
        }
        seen += 1;
    }
    let total = std::fs::read_dir(fixtures())
        .map(|d| d.count())
        .unwrap_or(0);
    // Every fixture but the README is covered.
    assert_eq!(seen, 46);
    assert!(total >= 46);
}

#[test]
fn globals_are_inherited_and_secrets_masked() {
    let cfg = Config::load_file(&fixtures().join("conf.good.yml")).expect("loads");
    let email = &cfg.receivers[0].email_configs[0];
    assert_eq!(email.smarthost, "localhost:25");
    assert_eq!(email.from, "alertmanager@example.org");
    assert_eq!(email.auth_password.expose(), "multiline\nmysecret");
    assert_eq!(email.require_tls, Some(true));
    let yaml = cfg.to_yaml();
    assert!(!yaml.contains("mysecret"), "{yaml}");
    assert!(yaml.contains("<secret>"), "{yaml}");
    // What we print loads again.
    let again = Config::load(&yaml).expect("round trip");
    assert_eq!(again.route, cfg.route);
    let cfg = Config::load_file(&fixtures().join("conf.group-by-all.yml")).expect("loads");
    assert_eq!(
        cfg.route.group_by.as_deref(),
        Some(&["...".to_string()][..])
    );
}

fn err(yaml: &str) -> String {
    match Config::load(yaml) {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn inline_rejections() {
    let recv = "receivers: [{name: a}]\n";
    assert_eq!(err(""), "no route provided in config");
    assert_eq!(err(recv), "no route provided in config");
    assert_eq!(
        err(&format!("route: {{receiver: a, continue: true}}\n{recv}")),
        "cannot have continue in root route"
    );
    assert_eq!(
        err(&format!("route: {{}}\n{recv}")),
        "root route must specify a default receiver"
    );
    assert_eq!(
        err(&format!("route: {{receiver: b}}\n{recv}")),
        "undefined receiver \"b\" used in route"
    );
    assert_eq!(
        err(&format!(
            "route: {{receiver: a, matchers: ['x=y']}}\n{recv}"
        )),
        "root route must not have any matchers"
    );
    assert_eq!(
        err(&format!(
            "route: {{receiver: a, group_interval: 0s}}\n{recv}"
        )),
        "group_interval cannot be zero"
    );
    assert_eq!(
        err(&format!(
            "route: {{receiver: a, group_by: ['...', a]}}\n{recv}"
        )),
        "cannot have wildcard group_by (`...`) and other labels at the same time"
    );
    assert_eq!(
        err(&format!("route: {{receiver: a, group_by: [a, a]}}\n{recv}")),
        "duplicated label \"a\" in group_by"
    );
    assert_eq!(
        err("route: {receiver: a}\nreceivers: [{name: a}, {name: a}]"),
        "notification config name \"a\" is not unique"
    );
    assert_eq!(
        err(&format!(
            "route: {{receiver: a, routes: [{{receiver: a, mute_time_intervals: [x]}}]}}\n{recv}"
        )),
        "undefined time interval \"x\" used in route"
    );
    assert_eq!(
        err("route: {receiver: a}\nreceivers: [{name: a, webhook_configs: [{}]}]"),
        "one of url or url_file must be configured"
    );
    assert_eq!(
        err("route: {receiver: a}\nreceivers: [{name: a, email_configs: [{to: x}]}]"),
        "no global SMTP smarthost set"
    );
    assert!(
        err(&format!("route: {{receiver: a, group_wait: 5x}}\n{recv}"))
            .contains("not a valid duration string")
    );
    assert!(err(&format!("route: {{receiver: a}}\nbogus: 1\n{recv}")).contains("bogus"));
    assert!(
        err(&format!(
            "route: {{receiver: a, routes: [{{matchers: ['a=~(']}}]}}\n{recv}"
        ))
        .contains("missing closing )")
    );
}

#[test]
fn unsupported_integrations_are_named() {
    let cfg = Config::load("route: {receiver: a}\nreceivers: [{name: a, victorops_configs: [{api_key: k, routing_key: r}]}]").expect("loads");
    let e = cfg.check_supported().expect_err("rejected");
    assert!(
        e.to_string().starts_with("not supported yet: victorops"),
        "{e}"
    );
    let cfg = Config::load(
        "route: {receiver: a}\nreceivers: [{name: a, webhook_configs: [{url: 'http://x/'}]}]",
    )
    .expect("loads");
    assert!(cfg.check_supported().is_ok());
}

#[test]
fn time_intervals_parse() {
    let cfg = Config::load(
        r#"
route:
  receiver: a
  routes:
    - receiver: a
      mute_time_intervals: [offhours]
      active_time_intervals: [always]
time_intervals:
  - name: offhours
    time_intervals:
      - times: [{start_time: '17:00', end_time: '24:00'}]
        location: America/New_York
  - name: always
    time_intervals: [{}]
receivers: [{name: a}]
"#,
    )
    .expect("loads");
    assert_eq!(cfg.named_intervals().count(), 2);
}
