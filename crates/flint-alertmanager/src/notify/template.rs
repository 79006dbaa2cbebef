//! Notification templates: the default templates plus the config's `templates` files, executed
//! on Alertmanager's template data (`.Receiver`, `.Status`, `.Alerts`, `.GroupLabels`, …).

use std::sync::Arc;

use flint_model::Labels;
use flint_template::Value;
use flint_template::alertmanager::{Alert as TAlert, Data as TData, Kv, Templates};
use flint_template::gotime::Time;

use super::NotifyCtx;
use crate::alert::Alert;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::time::{Millis, ZERO_TIME};

/// The parsed templates of one config.
#[derive(Clone, Debug)]
pub struct Tmpl {
    templates: Templates,
}

fn kv_labels(l: &Labels) -> Kv {
    let mut kv = Kv::new();
    for l in l.iter() {
        kv.insert(l.name.clone(), l.value.clone());
    }
    kv
}

fn time(t: Millis) -> Time {
    if t == ZERO_TIME {
        return Time::zero();
    }
    Time::from_unix_millis(t).unwrap_or_else(Time::zero)
}

impl Tmpl {
    /// Parses the default templates and the files of `cfg.templates`.
    pub fn new(cfg: &Config) -> Result<Self> {
        let templates =
            Templates::from_globs(&cfg.templates).map_err(|e| Error::Template(e.to_string()))?;
        Ok(Tmpl { templates })
    }

    /// The template data of a notification.
    pub fn data(ctx: &NotifyCtx<'_>, alerts: &[Arc<Alert>]) -> Value {
        let now = ctx.flush.now;
        let list = alerts
            .iter()
            .map(|a| {
                let mut ann = Kv::new();
                for (k, v) in a.annotations.iter() {
                    ann.insert(k.clone(), v.clone());
                }
                flint_template::alertmanager::alert(
                    if a.resolved_at(now) {
                        "resolved"
                    } else {
                        "firing"
                    },
                    kv_labels(&a.labels),
                    ann,
                    time(a.starts_at),
                    time(a.ends_at),
                    &a.generator_url,
                    &a.fingerprint.to_hex(),
                )
            })
            .collect::<Vec<TAlert>>();
        TData::new(
            ctx.receiver,
            kv_labels(&ctx.flush.group_labels),
            list,
            ctx.external_url,
        )
        .into_value()
    }

    /// Executes a template string in text mode; failures are permanent notification errors.
    pub fn text(&self, integration: &str, text: &str, data: &Value) -> Result<String> {
        if !text.contains("{{") {
            return Ok(text.to_string());
        }
        self.templates
            .execute_text(text, data)
            .map_err(|e| super::notify_error(integration, format!("template: {e}"), false))
    }

    /// Executes a template string in HTML mode (escaping as Go's `html/template`).
    pub fn html(&self, integration: &str, text: &str, data: &Value) -> Result<String> {
        self.templates
            .execute_html(text, data)
            .map_err(|e| super::notify_error(integration, format!("template: {e}"), false))
    }
}

/// Truncates to at most `n` characters, ending with `…` when cut (upstream's `TruncateInRunes`).
pub fn truncate(s: &str, n: usize) -> (String, bool) {
    if s.chars().count() <= n {
        return (s.to_string(), false);
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    (out, true)
}

/// SHA-256 of the group key in hex, which PagerDuty and OpsGenie use as dedup key / alias.
pub fn group_key_hash(key: &str) -> String {
    sha256_hex(key.as_bytes())
}

/// A small SHA-256 (FIPS 180-4), enough for dedup keys.
fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 64];
        for (i, word) in chunk.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for (a, b) in h.iter_mut().zip(v) {
            *a = a.wrapping_add(b);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_answers() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn truncates_in_runes() {
        assert_eq!(truncate("héllo", 10), ("héllo".to_string(), false));
        assert_eq!(truncate("héllo", 3), ("hé…".to_string(), true));
    }
}
