//! Email through an SMTP smarthost (lettre): STARTTLS or implicit TLS, PLAIN/LOGIN auth,
//! HTML and text bodies, templated headers.

use std::sync::Arc;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
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

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
        let c = &self.conf;
        let (host, port) = c
            .smarthost
            .rsplit_once(':')
            .ok_or_else(|| err(format!("invalid smarthost {:?}", c.smarthost), false))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port: u16 = port
            .parse()
            .map_err(|_| err(format!("invalid port in {:?}", c.smarthost), false))?;
        let tls_cfg = c.tls_config.clone().unwrap_or_default();
        let server_name = if tls_cfg.server_name.is_empty() {
            host.to_string()
        } else {
            tls_cfg.server_name.clone()
        };
        let params = TlsParameters::builder(server_name)
            .dangerous_accept_invalid_certs(tls_cfg.insecure_skip_verify)
            .build_rustls()
            .map_err(|e| err(e, false))?;
        let tls = if port == 465 || c.force_implicit_tls == Some(true) {
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
            .timeout(Some(std::time::Duration::from_secs(30)));
        if !c.auth_username.is_empty() {
            let pass = if !c.auth_password_file.is_empty() {
                http::secret_file(&c.auth_password_file)?
            } else {
                c.auth_password.expose().to_string()
            };
            b = b.credentials(Credentials::new(c.auth_username.clone(), pass));
        }
        Ok(b.build())
    }

    async fn send(&self, ctx: &NotifyCtx<'_>, alerts: &[Arc<Alert>]) -> Result<()> {
        let msg = self.message(ctx, alerts)?;
        let transport = self.transport()?;
        match transport.send(msg).await {
            Ok(_) => Ok(()),
            // 5xx answers are permanent, everything else (4xx, I/O, TLS) may pass later.
            Err(e) => Err(err(format!("send: {e}"), !e.is_permanent())),
        }
    }
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
