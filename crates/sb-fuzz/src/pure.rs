//! Targets that need no app: the Zadarma webhook parser and signer, phone normalisation.

use sb_domain::phone::{suffix_range_of, Phone};
use sb_telephony::zadarma::{
    default_ip_allowlist, params_string, php_urlencode, sign_request, webhook_signature, Zadarma,
    ZadarmaConfig,
};
use sb_telephony::{InboundOutcome, InboundRequest, PbxProvider};
use std::net::IpAddr;
use std::sync::OnceLock;

/// The secret of the spec's test vectors (spec/zadarma.md 3.3), so its seeds verify.
pub const ZADARMA_SECRET: &str = "0123456789abcdefABCD";

/// Splits `head\n\nbody` into header lines and the body; without a blank line the whole
/// input is the body. A header line is `name: value` (names lowercased).
pub fn split_head(data: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let Some(i) = data.windows(2).position(|w| w == b"\n\n") else {
        return (Vec::new(), data);
    };
    let head = String::from_utf8_lossy(&data[..i]);
    let lines = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (lines, &data[i + 2..])
}

fn zadarma(allowlist: bool) -> Option<&'static Zadarma> {
    static OPEN: OnceLock<Option<Zadarma>> = OnceLock::new();
    static LISTED: OnceLock<Option<Zadarma>> = OnceLock::new();
    let cell = if allowlist { &LISTED } else { &OPEN };
    cell.get_or_init(|| {
        let mut cfg = ZadarmaConfig::new("fuzz-key", ZADARMA_SECRET);
        if allowlist {
            cfg.ip_allowlist = Some(default_ip_allowlist());
        }
        Zadarma::new(cfg).ok()
    })
    .as_ref()
}

/// The field names a valid `Signature` covers for `event` (spec/zadarma.md 3.2), so the
/// harness can sign what the fuzzer wrote and the mutations reach the event mapping.
fn signed_fields(event: &str) -> &'static [&'static str] {
    match event {
        "NOTIFY_ANSWER" => &["caller_id", "destination", "call_start"],
        "NOTIFY_OUT_START" | "NOTIFY_OUT_END" => &["internal", "destination", "call_start"],
        "NOTIFY_RECORD" => &["pbx_call_id", "call_id_with_rec"],
        "SMS" | "NUMBER_LOOKUP" | "CALL_TRACKING" => &["result"],
        _ => &["caller_id", "called_did", "call_start"],
    }
}

/// A valid signature for a form-encoded body (or query): what Zadarma would send.
fn auto_signature(fields: &[u8]) -> String {
    let decoded: Vec<(String, String)> = form_urlencoded::parse(fields).into_owned().collect();
    let get = |n: &str| {
        decoded
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let signed: String = signed_fields(get("event").trim())
        .iter()
        .map(|n| get(n))
        .collect();
    webhook_signature(ZADARMA_SECRET, &signed)
}

/// Zadarma webhook (`/hooks/zadarma/{token}`): allow list, echo, form and multipart
/// decoding, signature check, mapping to a call event. Input: optional head lines
/// (`content-type:`, `signature:` where `auto` means a valid one, `query:`, `ip:`,
/// `method:`, any other header), a blank line, the body.
pub fn zadarma_webhook(data: &[u8]) {
    let (head, body) = split_head(data);
    let value = |n: &str| head.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let ip: Option<IpAddr> = value("ip").and_then(|v| v.parse().ok());
    let Some(provider) = zadarma(value("ip").is_some()) else {
        return;
    };
    let query = value("query");
    let mut headers: Vec<(String, String)> = head
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "ip" | "query" | "method"))
        .cloned()
        .collect();
    for (k, v) in headers.iter_mut() {
        if k == "signature" && v == "auto" {
            *v = if body.is_empty() {
                auto_signature(query.unwrap_or("").as_bytes())
            } else {
                auto_signature(body)
            };
        }
    }
    let req = InboundRequest {
        method: value("method").unwrap_or("POST"),
        query,
        headers: &headers,
        content_type: value("content-type"),
        body,
        remote_ip: ip,
    };
    if let Ok(InboundOutcome::Event(ev)) = provider.parse_webhook(&req) {
        // A verified call event always names its call, and its key starts with its kind.
        assert!(
            !ev.provider_call_id.trim().is_empty(),
            "event without a call id"
        );
        assert!(
            ev.dedup_key.starts_with(ev.kind.zadarma_name()),
            "dedup key {:?} for {:?}",
            ev.dedup_key,
            ev.kind
        );
    }
}

/// Phone normalisation (every number a user, an import or a PBX gives). Input: the
/// default country on the first line, the number after it.
pub fn phone(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (country, raw) = text.split_once('\n').unwrap_or(("ES", &text));
    let p = Phone::parse(raw, country);
    assert!(
        p.digits.bytes().all(|b| b.is_ascii_digit()),
        "digits {:?}",
        p.digits
    );
    if let Some(e) = &p.e164 {
        assert!(
            e.strip_prefix('+')
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())),
            "e164 {e:?} from {raw:?}"
        );
        // The key is stable: the E.164 form parses to itself.
        assert_eq!(
            Phone::parse(e, country).e164.as_deref(),
            Some(e.as_str()),
            "{raw:?} in {country:?}"
        );
    }
    let reversed = p.reversed_digits();
    if let Some((lo, hi)) = p.suffix_range() {
        assert!(
            reversed >= lo && reversed < hi,
            "{reversed} outside {lo}..{hi}"
        );
    }
    let _ = suffix_range_of(raw);
}

/// Zadarma request signing and PHP `urlencode` over any text (the parameters come from
/// users: numbers, SMS texts). Input: the method path on the first line, `key=value`
/// lines after it.
pub fn zadarma_sign(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let path = lines.next().unwrap_or("");
    let params: Vec<(&str, &str)> = lines
        .map(|l| l.split_once('=').unwrap_or((l, "")))
        .collect();
    let encoded = php_urlencode(&text);
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.+%".contains(&b)),
        "urlencode left {encoded:?}"
    );
    let query = params_string(&params);
    // What we send is what PHP would decode back to the same parameters.
    let back: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if !params.is_empty() && !query.is_empty() {
        assert_eq!(back.len(), params.len(), "{query:?}");
    }
    let (sent, auth) = sign_request("key", ZADARMA_SECRET, path, &params);
    assert_eq!(sent, query);
    assert!(
        auth.starts_with("key:") && auth.len() == "key:".len() + 56,
        "{auth}"
    );
}
