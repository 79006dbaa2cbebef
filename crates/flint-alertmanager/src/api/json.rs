//! Hand-written JSON output for the large API answers: written straight into one buffer,
//! no intermediate `serde_json::Value`s.

use std::sync::Arc;

use crate::alert::Alert;
use crate::store::AlertStatus;
use crate::time::format_rfc3339;

/// Appends `s` as a JSON string.
pub fn str(out: &mut Vec<u8>, s: &str) {
    // Writing a &str to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Appends a label set as a JSON object.
pub fn pairs<'a>(out: &mut Vec<u8>, it: impl Iterator<Item = (&'a str, &'a str)>) {
    out.push(b'{');
    for (i, (k, v)) in it.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        str(out, k);
        out.push(b':');
        str(out, v);
    }
    out.push(b'}');
}

fn str_list(out: &mut Vec<u8>, items: &[String]) {
    out.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        str(out, s);
    }
    out.push(b']');
}

/// Appends one `gettableAlert`.
pub fn alert(
    out: &mut Vec<u8>,
    a: &Arc<Alert>,
    receivers: &[&str],
    st: &AlertStatus,
    muted_by: &[String],
) {
    out.extend_from_slice(b"{\"annotations\":");
    pairs(out, a.annotations.iter().map(|(k, v)| (&**k, &**v)));
    out.extend_from_slice(b",\"endsAt\":");
    str(out, &format_rfc3339(a.ends_at));
    out.extend_from_slice(b",\"fingerprint\":\"");
    out.extend_from_slice(a.fingerprint.to_hex().as_bytes());
    out.extend_from_slice(b"\",\"receivers\":[");
    for (i, r) in receivers.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"name\":");
        str(out, r);
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"startsAt\":");
    str(out, &format_rfc3339(a.starts_at));
    out.extend_from_slice(b",\"status\":{\"inhibitedBy\":");
    str_list(out, &st.inhibited_by);
    out.extend_from_slice(b",\"mutedBy\":");
    str_list(out, muted_by);
    out.extend_from_slice(b",\"silencedBy\":");
    str_list(out, &st.silenced_by);
    out.extend_from_slice(b",\"state\":\"");
    out.extend_from_slice(st.state().as_bytes());
    out.extend_from_slice(b"\"},\"updatedAt\":");
    str(out, &format_rfc3339(a.updated_at));
    if !a.generator_url.is_empty() {
        out.extend_from_slice(b",\"generatorURL\":");
        str(out, &a.generator_url);
    }
    out.extend_from_slice(b",\"labels\":");
    pairs(out, a.labels.iter().map(|l| (&*l.name, &*l.value)));
    out.push(b'}');
}
