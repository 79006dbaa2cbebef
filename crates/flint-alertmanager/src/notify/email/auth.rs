//! SMTP authentication lettre does not offer: CRAM-MD5 (with `auth_secret`) and PLAIN with an
//! authorization identity (`auth_identity`), as upstream's `net/smtp` does; plus the Base64
//! they need.

use md5::{Digest, Md5};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard Base64 with padding.
pub fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard Base64 (padding optional); `None` on bad input.
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn hmac_md5(key: &[u8], msg: &[u8]) -> [u8; 16] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..16].copy_from_slice(&Md5::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Md5::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Md5::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// The client's answer to a CRAM-MD5 challenge (already Base64-decoded), Base64-encoded:
/// `username SP hex(HMAC-MD5(secret, challenge))` (RFC 2195).
pub fn cram_md5_response(username: &str, secret: &str, challenge: &[u8]) -> String {
    let mac = hmac_md5(secret.as_bytes(), challenge);
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    b64_encode(format!("{username} {hex}").as_bytes())
}

/// The initial response of `AUTH PLAIN`: `identity NUL username NUL password` (RFC 4616).
pub fn plain_response(identity: &str, username: &str, password: &str) -> String {
    b64_encode(format!("{identity}\0{username}\0{password}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(b64_encode(plain.as_bytes()), enc);
            assert_eq!(b64_decode(enc).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(b64_decode("Zm9v!"), None);
    }

    #[test]
    fn cram_md5_matches_rfc_2195() {
        // The example exchange of RFC 2195.
        let challenge = b"<1896.697170952@postoffice.reston.mci.net>";
        let got = cram_md5_response("tim", "tanstaaftanstaaf", challenge);
        assert_eq!(
            b64_decode(&got).as_deref(),
            Some(&b"tim b913a602c7eda7a495b4e6e7334d3890"[..])
        );
        assert_eq!(
            plain_response("admin", "u", "p"),
            b64_encode(b"admin\0u\0p")
        );
    }
}
