//! Email through an SMTP smarthost (lettre): STARTTLS or implicit TLS with `tls_config`
//! (CA, client certificate, server name, minimum version), PLAIN/LOGIN auth through lettre,
//! CRAM-MD5 (`auth_secret`) and PLAIN with `auth_identity` by hand ([`auth`]), HTML and text
//! bodies, templated headers.

mod auth;

use std::sync::Arc;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, Certificate, Identity, Tls, TlsParameters, TlsVersion,
};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::template::Tmpl;
use super::{Notifier, NotifyCtx, http, notify_error};
use crate::alert::Alert;
use crate::config::receiver::email::EmailConfig;
use crate::dispatch::BoxFuture;
use crate::error::Result;

/// A configured email integration.
#[derive(Debug)]
pub struct Email {
    conf: EmailConfig,
    tmpl: Arc<Tmpl>,
}

fn err(msg: impl std::fmt::Display, retryable: bool) -> crate::error::Error {
    notify_error("email", msg.to_string(), retryable)
}

impl Email {
    /// Keeps the config; connections are made per notification.
    pub fn new(conf: &EmailConfig, tmpl: Arc<Tmpl>) -> Self {
        Email {
            conf: conf.clone(),
            tmpl,
        }
    }

    /// The message for `alerts`.
    pub fn message(&self, ctx: &NotifyCtx<'_>, alerts: &[Arc<Alert>]) -> Result<Message> {
        let data = Tmpl::data(ctx, alerts);
        let t = |s: &str| self.tmpl.text("email", s, &data);
        let c = &self.conf;
        let mut headers = c.headers.clone();
        let subject = headers
            .remove("Subject")
            .unwrap_or_else(|| r#"{{ template "email.default.subject" . }}"#.into());
        let to = headers.remove("To").unwrap_or_else(|| c.to.clone());
        let from = headers.remove("From").unwrap_or_else(|| c.from.clone());
        let from: Mailbox = t(&from)?
            .parse()
            .map_err(|e| err(format!("parse 'from' addresses: {e}"), false))?;
        let mut b = Message::builder()
            .from(from)
            .subject(t(&subject)?)
            .date_now();
        for addr in t(&to)?.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let m: Mailbox = addr
                .parse()
                .map_err(|e| err(format!("parse 'to' addresses: {e}"), false))?;
            b = b.to(m);
        }
        for (k, v) in &headers {
            let name = HeaderName::new_from_ascii(k.clone())
                .map_err(|e| err(format!("header {k}: {e}"), false))?;
            b = b.raw_header(HeaderValue::new(name, t(v)?));
        }
        let html = if c.html.is_empty() {
            None
        } else {
            Some(self.tmpl.html("email", &c.html, &data)?)
        };
        let text = if c.text.is_empty() {
            None
        } else {
            Some(t(&c.text)?)
        };
        let msg = match (text, html) {
            (Some(text), Some(html)) => b.multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::plain(text))
                    .singlepart(SinglePart::html(html)),
            ),
            (Some(text), None) => b.singlepart(SinglePart::plain(text)),
            (None, Some(html)) => b.singlepart(SinglePart::html(html)),
            (None, None) => b.body(String::new()),
        };
        msg.map_err(|e| err(e, false))
    }

    fn host_port(&self) -> Result<(String, u16)> {
        let c = &self.conf;
        let (host, port) = c
            .smarthost
            .rsplit_once(':')
            .ok_or_else(|| err(format!("invalid smarthost {:?}", c.smarthost), false))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port: u16 = port
            .parse()
            .map_err(|_| err(format!("invalid port in {:?}", c.smarthost), false))?;
        Ok((host.to_string(), port))
    }

    /// TLS parameters from `tls_config`.
    fn tls_params(&self, host: &str) -> Result<TlsParameters> {
        let tls = self.conf.tls_config.clone().unwrap_or_default();
        let name = if tls.server_name.is_empty() {
            host.to_string()
        } else {
            tls.server_name.clone()
        };
        let read = |inline: &str, file: &str| -> Result<Option<Vec<u8>>> {
            if !file.is_empty() {
                return std::fs::read(file)
                    .map(Some)
                    .map_err(|e| err(format!("{file}: {e}"), false));
            }
            Ok((!inline.is_empty()).then(|| inline.as_bytes().to_vec()))
        };
        let mut b =
            TlsParameters::builder(name).dangerous_accept_invalid_certs(tls.insecure_skip_verify);
        if let Some(ca) = read(&tls.ca, &tls.ca_file)? {
            b = b.add_root_certificate(Certificate::from_pem(&ca).map_err(|e| err(e, false))?);
        }
        if let Some(cert) = read(&tls.cert, &tls.cert_file)? {
            let key = read(tls.key.expose(), &tls.key_file)?.unwrap_or_default();
            b = b.identify_with(Identity::from_pem(&cert, &key).map_err(|e| err(e, false))?);
        }
        if tls.min_version == "TLS13" {
            b = b.set_min_tls_version(TlsVersion::Tlsv13);
        }
        b.build_rustls().map_err(|e| err(e, false))
    }

    fn implicit_tls(&self, port: u16) -> bool {
        port == 465 || self.conf.force_implicit_tls == Some(true)
    }

    fn password(&self) -> Result<String> {
        let c = &self.conf;
        if !c.auth_password_file.is_empty() {
            return http::secret_file(&c.auth_password_file);
        }
        Ok(c.auth_password.expose().to_string())
    }

    fn secret(&self) -> Result<String> {
        let c = &self.conf;
        if !c.auth_secret_file.is_empty() {
            return http::secret_file(&c.auth_secret_file);
        }
        Ok(c.auth_secret.expose().to_string())
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
        let c = &self.conf;
        let (host, port) = self.host_port()?;
        let params = self.tls_params(&host)?;
        let tls = if self.implicit_tls(port) {
            Tls::Wrapper(params)
        } else if c.require_tls.unwrap_or(true) {
            Tls::Required(params)
        } else {
            Tls::Opportunistic(params)
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .hello_name(ClientId::Domain(c.hello.clone()))
            .timeout(Some(TIMEOUT));
        if !c.auth_username.is_empty() {
            b = b.credentials(Credentials::new(c.auth_username.clone(), self.password()?));
        }
        Ok(b.build())
    }

    /// Which hand-made mechanism upstream would pick that lettre cannot: CRAM-MD5 when a
    /// secret is set, PLAIN when an identity other than the user name is.
    fn manual_auth(&self) -> Result<Option<ManualAuth>> {
        let c = &self.conf;
        if c.auth_username.is_empty() {
            return Ok(None);
        }
        let secret = self.secret()?;
        if !secret.is_empty() {
            return Ok(Some(ManualAuth::CramMd5(secret)));
        }
        if !c.auth_identity.is_empty() && c.auth_identity != c.auth_username {
            return Ok(Some(ManualAuth::Plain(self.password()?)));
        }
        Ok(None)
    }

    /// One session on lettre's connection, authenticating by hand.
    async fn send_manual(&self, msg: &Message, how: ManualAuth) -> Result<()> {
        let c = &self.conf;
        let (host, port) = self.host_port()?;
        let params = self.tls_params(&host)?;
        let hello = ClientId::Domain(c.hello.clone());
        let wrap = self.implicit_tls(port).then(|| params.clone());
        let io = |e: lettre::transport::smtp::Error| err(format!("send: {e}"), !e.is_permanent());
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (host.as_str(), port),
            Some(TIMEOUT),
            &hello,
            wrap,
            None,
        )
        .await
        .map_err(io)?;
        if !conn.is_encrypted() {
            if conn.can_starttls() {
                conn.starttls(params, &hello).await.map_err(io)?;
            } else if c.require_tls.unwrap_or(true) {
                return Err(err(
                    format!(
                        "'require_tls' is true (default) but {host}:{port} does not advertise the STARTTLS extension"
                    ),
                    true,
                ));
            }
        }
        let user = c.auth_username.as_str();
        match how {
            ManualAuth::CramMd5(secret) => {
                let r = conn.command("AUTH CRAM-MD5").await.map_err(io)?;
                let challenge = r
                    .first_line()
                    .and_then(auth::b64_decode)
                    .ok_or_else(|| err("CRAM-MD5: bad challenge", false))?;
                conn.command(auth::cram_md5_response(user, &secret, &challenge))
                    .await
                    .map_err(io)?;
            }
            ManualAuth::Plain(password) => {
                let resp = auth::plain_response(&c.auth_identity, user, &password);
                conn.command(format!("AUTH PLAIN {resp}"))
                    .await
                    .map_err(io)?;
            }
        }
        conn.send(msg.envelope(), &msg.formatted())
            .await
            .map_err(io)?;
        let _ = conn.quit().await;
        Ok(())
    }

    async fn send(&self, ctx: &NotifyCtx<'_>, alerts: &[Arc<Alert>]) -> Result<()> {
        let msg = self.message(ctx, alerts)?;
        if let Some(how) = self.manual_auth()? {
            return self.send_manual(&msg, how).await;
        }
        let transport = self.transport()?;
        match transport.send(msg).await {
            Ok(_) => Ok(()),
            // 5xx answers are permanent, everything else (4xx, I/O, TLS) may pass later.
            Err(e) => Err(err(format!("send: {e}"), !e.is_permanent())),
        }
    }
}

const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Authentication done by hand.
enum ManualAuth {
    /// CRAM-MD5 with this secret.
    CramMd5(String),
    /// PLAIN with `auth_identity` and this password.
    Plain(String),
}

impl Notifier for Email {
    fn notify<'a>(
        &'a self,
        ctx: &'a NotifyCtx<'a>,
        alerts: &'a [Arc<Alert>],
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.send(ctx, alerts))
    }
}
