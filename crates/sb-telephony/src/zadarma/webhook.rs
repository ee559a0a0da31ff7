//! Zadarma inbound webhooks (spec 3): echo validation, form decoding, signature check,
//! mapping to [`CallEvent`].
//!
//! Order: source allow list (if configured, applies to echo too) → `zd_echo` in query or
//! body → form decoding → signature → mapping.
//!
//! Verification policy:
//! - Known `NOTIFY_*` events: `Signature` required and checked per spec 3.2.
//! - Unknown `NOTIFY_*` events (no documented rule): `Signature` required and must match
//!   one of the documented `NOTIFY_*` rules; otherwise refused. So no unsigned
//!   `NOTIFY_*` ever passes. They come out as `OtherEvent { verified: true }`.
//! - `SMS`, `NUMBER_LOOKUP`, `CALL_TRACKING`: signature over `result` required (third-party
//!   evidence only, spec 3.2) → `OtherEvent { verified: true }`.
//! - Anything else (`SPEECH_RECOGNITION`, `DOCUMENT`, unknown non-NOTIFY): no documented
//!   rule, so never refused on the signature; `verified` is true only if a present header
//!   matches the `result` rule or a `NOTIFY_*` rule. Such events never become `CallEvent`s.

use subtle::ConstantTimeEq;

use super::sign::webhook_signature;
use crate::error::WebhookError;
use crate::model::{
    canonical_ip, CallEvent, CallEventKind, Direction, Disposition, InboundOutcome, InboundRequest,
    IpCidr,
};

type Fields = Vec<(String, String)>;

pub(crate) fn parse(
    secret: &str,
    allowlist: Option<&[IpCidr]>,
    req: &InboundRequest<'_>,
) -> Result<InboundOutcome, WebhookError> {
    if let Some(nets) = allowlist {
        let ip = req
            .remote_ip
            .map(canonical_ip)
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        if req.remote_ip.is_none() || !nets.iter().any(|n| n.contains(ip)) {
            return Err(WebhookError::ForbiddenSource(ip));
        }
    }

    let query: Fields = req
        .query
        .map(|q| decode_urlencoded(q.as_bytes()))
        .unwrap_or_default();
    if let Some(echo) = get(&query, "zd_echo") {
        return Ok(InboundOutcome::Echo(echo.to_string()));
    }

    let body = decode_body(req.content_type, req.body)?;
    if let Some(echo) = get(&body, "zd_echo") {
        return Ok(InboundOutcome::Echo(echo.to_string()));
    }
    // Events are POSTed; fall back to the query string only when there is no body.
    let fields = if body.is_empty() { query } else { body };

    let name = match get(&fields, "event") {
        Some(n) if !n.trim().is_empty() => n.trim().to_string(),
        _ => return Err(WebhookError::Malformed("no event field".into())),
    };
    let header = req.header("signature").map(str::trim);

    if let Some(kind) = CallEventKind::from_zadarma(&name) {
        let header = header
            .filter(|h| !h.is_empty())
            .ok_or(WebhookError::MissingSignature)?;
        if !sig_matches(secret, header, &signed_string(rule_for(kind), &fields)) {
            return Err(WebhookError::BadSignature);
        }
        return build_event(kind, &name, fields).map(InboundOutcome::Event);
    }

    if name.starts_with("NOTIFY_") {
        let header = header
            .filter(|h| !h.is_empty())
            .ok_or(WebhookError::MissingSignature)?;
        if !NOTIFY_RULES
            .iter()
            .any(|r| sig_matches(secret, header, &signed_string(*r, &fields)))
        {
            return Err(WebhookError::BadSignature);
        }
        return Ok(InboundOutcome::OtherEvent {
            name,
            fields,
            verified: true,
        });
    }

    if matches!(name.as_str(), "SMS" | "NUMBER_LOOKUP" | "CALL_TRACKING") {
        let header = header
            .filter(|h| !h.is_empty())
            .ok_or(WebhookError::MissingSignature)?;
        if !sig_matches(secret, header, &signed_string(Rule::Result, &fields)) {
            return Err(WebhookError::BadSignature);
        }
        return Ok(InboundOutcome::OtherEvent {
            name,
            fields,
            verified: true,
        });
    }

    let verified = header.filter(|h| !h.is_empty()).is_some_and(|h| {
        std::iter::once(Rule::Result)
            .chain(NOTIFY_RULES.iter().copied())
            .any(|r| sig_matches(secret, h, &signed_string(r, &fields)))
    });
    if !verified {
        tracing::debug!(event = %name, "unverified non-call webhook accepted as OtherEvent");
    }
    Ok(InboundOutcome::OtherEvent {
        name,
        fields,
        verified,
    })
}

#[derive(Debug, Clone, Copy)]
enum Rule {
    CallerDidStart,
    CallerDestStart,
    InternalDestStart,
    Record,
    Result,
}

const NOTIFY_RULES: [Rule; 4] = [
    Rule::CallerDidStart,
    Rule::CallerDestStart,
    Rule::InternalDestStart,
    Rule::Record,
];

fn rule_for(kind: CallEventKind) -> Rule {
    match kind {
        CallEventKind::Start
        | CallEventKind::Internal
        | CallEventKind::End
        | CallEventKind::Ivr
        | CallEventKind::InternalEnd => Rule::CallerDidStart,
        CallEventKind::Answer => Rule::CallerDestStart,
        CallEventKind::OutStart | CallEventKind::OutEnd => Rule::InternalDestStart,
        CallEventKind::Record => Rule::Record,
    }
}

/// Decoded field values concatenated without separator; missing field = "".
fn signed_string(rule: Rule, f: &Fields) -> String {
    let names: &[&str] = match rule {
        Rule::CallerDidStart => &["caller_id", "called_did", "call_start"],
        Rule::CallerDestStart => &["caller_id", "destination", "call_start"],
        Rule::InternalDestStart => &["internal", "destination", "call_start"],
        Rule::Record => &["pbx_call_id", "call_id_with_rec"],
        Rule::Result => &["result"],
    };
    names.iter().map(|n| get(f, n).unwrap_or("")).collect()
}

fn sig_matches(secret: &str, header: &str, signed: &str) -> bool {
    let expected = webhook_signature(secret, signed);
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(header.as_bytes()))
}

fn get<'a>(f: &'a Fields, name: &str) -> Option<&'a str> {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn non_empty(f: &Fields, name: &str) -> Option<String> {
    get(f, name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn build_event(kind: CallEventKind, name: &str, fields: Fields) -> Result<CallEvent, WebhookError> {
    let pbx_call_id = non_empty(&fields, "pbx_call_id")
        .ok_or_else(|| WebhookError::Malformed(format!("{name} without pbx_call_id")))?;
    let prefix_dir = if pbx_call_id.starts_with("out_") {
        Direction::Outbound
    } else {
        Direction::Inbound
    };
    let direction = match kind {
        CallEventKind::OutStart | CallEventKind::OutEnd => Direction::Outbound,
        CallEventKind::Answer | CallEventKind::Record => prefix_dir,
        _ => Direction::Inbound,
    };
    let f = |n: &str| non_empty(&fields, n);

    let (customer_number, our_number, extension) = match kind {
        CallEventKind::OutStart | CallEventKind::OutEnd => {
            (f("destination"), f("caller_id"), f("internal"))
        }
        CallEventKind::Answer if direction == Direction::Outbound => {
            (f("destination"), f("caller_id"), f("internal"))
        }
        CallEventKind::Answer => (
            f("caller_id"),
            f("called_did"),
            f("destination").or_else(|| f("internal")),
        ),
        CallEventKind::End => (
            f("caller_id"),
            f("called_did"),
            f("last_internal").or_else(|| f("internal")),
        ),
        CallEventKind::Record => (None, None, None),
        _ => (f("caller_id"), f("called_did"), f("internal")),
    };

    let duration_s = f("duration").and_then(|d| {
        d.parse::<i64>()
            .ok()
            // Float-looking durations are truncated; out-of-range ones dropped.
            .or_else(|| {
                d.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && x.abs() < 1e15)
                    .map(|x| x as i64)
            })
    });
    let is_recorded = f("is_recorded")
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"));
    let recording_id = f("call_id_with_rec");

    // What distinguishes two genuine events of the same name within one call.
    let discriminator: Vec<String> = match kind {
        CallEventKind::Internal | CallEventKind::InternalEnd => {
            vec![f("internal").unwrap_or_default()]
        }
        CallEventKind::Answer => vec![
            f("destination").unwrap_or_default(),
            f("internal").unwrap_or_default(),
        ],
        CallEventKind::OutStart | CallEventKind::OutEnd => vec![
            f("internal").unwrap_or_default(),
            f("destination").unwrap_or_default(),
        ],
        CallEventKind::Record => vec![recording_id.clone().unwrap_or_default()],
        CallEventKind::Ivr => vec![
            f("wait_dtmf[name]").unwrap_or_default(),
            f("wait_dtmf[digits]").unwrap_or_default(),
            f("wait_dtmf[default_behaviour]").unwrap_or_default(),
        ],
        CallEventKind::Start | CallEventKind::End => vec![],
    };
    let mut dedup_key = format!("{}|{}", kind.zadarma_name(), pbx_call_id);
    for d in discriminator {
        dedup_key.push('|');
        dedup_key.push_str(&d);
    }

    Ok(CallEvent {
        kind,
        direction,
        customer_number,
        our_number,
        extension,
        call_start: f("call_start"),
        duration_s,
        disposition: f("disposition").map(|d| Disposition::from_zadarma(&d)),
        status_code: f("status_code"),
        is_recorded,
        recording_id,
        dedup_key,
        provider_call_id: pbx_call_id,
        fields,
    })
}

fn decode_urlencoded(b: &[u8]) -> Fields {
    form_urlencoded::parse(b).into_owned().collect()
}

fn decode_body(content_type: Option<&str>, body: &[u8]) -> Result<Fields, WebhookError> {
    if body.is_empty() {
        return Ok(Vec::new());
    }
    let ct = content_type.unwrap_or("").trim();
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "" | "application/x-www-form-urlencoded" | "text/plain" => Ok(decode_urlencoded(body)),
        "multipart/form-data" => decode_multipart(ct, body),
        other => Err(WebhookError::Malformed(format!(
            "unsupported content type {other}"
        ))),
    }
}

/// Minimal multipart/form-data reader: text fields only (file parts are skipped).
/// Tolerates LF-only line endings.
fn decode_multipart(content_type: &str, body: &[u8]) -> Result<Fields, WebhookError> {
    let boundary = content_type
        .split(';')
        .skip(1)
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .filter(|b| !b.is_empty())
        .ok_or_else(|| WebhookError::Malformed("multipart without boundary".into()))?;
    let delim = format!("--{boundary}");
    let mut out = Vec::new();
    let mut parts = split_bytes(body, delim.as_bytes()).into_iter();
    parts.next(); // preamble
    for part in parts {
        if part.starts_with(b"--") {
            break; // closing delimiter
        }
        let part = strip_prefix_newline(part);
        let (head, value) = match find(part, b"\r\n\r\n") {
            Some(i) => (&part[..i], &part[i + 4..]),
            None => match find(part, b"\n\n") {
                Some(i) => (&part[..i], &part[i + 2..]),
                None => continue,
            },
        };
        let value = value
            .strip_suffix(b"\r\n")
            .or_else(|| value.strip_suffix(b"\n"))
            .unwrap_or(value);
        let head = String::from_utf8_lossy(head);
        let Some(disp) = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
        else {
            continue;
        };
        if disp_param(disp, "filename").is_some() {
            continue;
        }
        if let Some(name) = disp_param(disp, "name") {
            out.push((name, String::from_utf8_lossy(value).into_owned()));
        }
    }
    if out.is_empty() {
        return Err(WebhookError::Malformed("empty multipart body".into()));
    }
    Ok(out)
}

fn disp_param(disp: &str, key: &str) -> Option<String> {
    disp.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

fn strip_prefix_newline(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\r\n")
        .or_else(|| b.strip_prefix(b"\n"))
        .unwrap_or(b)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn split_bytes<'a>(hay: &'a [u8], delim: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = hay;
    while let Some(i) = find(rest, delim) {
        out.push(&rest[..i]);
        rest = &rest[i + delim.len()..];
    }
    out.push(rest);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    const SECRET: &str = "0123456789abcdefABCD";
    const PBX: &str = "in_0f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3d4";
    const SIG_CDS: &str = "ZTdiNDdiYzNiYWYwMDU2MWZiMWIwNTBlM2Y4MjZkYTcyYzgwMGU5MQ==";
    const SIG_ANSWER: &str = "ZjM5N2ZlZGI1MDA4YWQ5ZjBiM2YyMWZhMDVjN2NiYjBkYzc4Mjc2MQ==";
    const SIG_OUT: &str = "NmZkOWYxMWIxMDY2MTViOWJhMTcyODI3YmI2OGYwOTE5YTBmOWQ3Nw==";
    const SIG_RECORD: &str = "NTcyMWViODliMDNmNTNlNzFjMjA1MzZjZTc1MmQxYmIzODdmNzQxZA==";
    const SIG_SMS: &str = "ODliMmY2Y2EwMmNkODU0MGFjNmUzNzdkYWQyZDIxZWE1YjU5NzdmZA==";
    const SIG_PLUS: &str = "NDRjOGQ1NDk5ODI1MGYzNjg1NjJmMDgyNWE0M2M2NjJhODBjYjU5Mw==";
    const RAW_B64: &str = "57R7w7rwBWH7GwUOP4JtpyyADpE=";
    const START: &str = "call_start=2024-05-14+10%3A15%3A03";

    fn req<'a>(
        body: &'a str,
        headers: &'a [(String, String)],
        ip: Option<std::net::IpAddr>,
    ) -> InboundRequest<'a> {
        InboundRequest {
            method: "POST",
            query: None,
            headers,
            content_type: Some("application/x-www-form-urlencoded"),
            body: body.as_bytes(),
            remote_ip: ip,
        }
    }

    fn sig(s: &str) -> Vec<(String, String)> {
        vec![("signature".to_string(), s.to_string())]
    }

    fn run(body: &str, signature: &str) -> Result<InboundOutcome, WebhookError> {
        let h = sig(signature);
        parse(SECRET, None, &req(body, &h, None))
    }

    fn event(body: &str, signature: &str) -> CallEvent {
        match run(body, signature) {
            Ok(InboundOutcome::Event(e)) => e,
            other => panic!("expected event, got {other:?}"),
        }
    }

    fn common(ev: &str) -> String {
        format!("event={ev}&{START}&pbx_call_id={PBX}&caller_id=34600111222&called_did=34911234567")
    }

    /// Changes one byte of a signed field value; must be refused.
    fn assert_rejects_tamper(body: &str, signature: &str) {
        let tampered = body.replacen("2024-05-14", "2024-05-15", 1);
        assert_ne!(tampered, body);
        assert_eq!(run(&tampered, signature), Err(WebhookError::BadSignature));
        // and one byte of the signature itself
        let mut s = signature.as_bytes().to_vec();
        s[3] = if s[3] == b'A' { b'B' } else { b'A' };
        let s = String::from_utf8(s).unwrap();
        assert_eq!(run(body, &s), Err(WebhookError::BadSignature));
    }

    #[test]
    fn start_vector() {
        let body = common("NOTIFY_START");
        let e = event(&body, SIG_CDS);
        assert_eq!(e.kind, CallEventKind::Start);
        assert_eq!(e.direction, Direction::Inbound);
        assert_eq!(e.provider_call_id, PBX);
        assert_eq!(e.customer_number.as_deref(), Some("34600111222"));
        assert_eq!(e.our_number.as_deref(), Some("34911234567"));
        assert_eq!(e.call_start.as_deref(), Some("2024-05-14 10:15:03"));
        assert_eq!(e.dedup_key, format!("NOTIFY_START|{PBX}"));
        assert_eq!(e.fields.len(), 5);
        assert_rejects_tamper(&body, SIG_CDS);
    }

    #[test]
    fn internal_and_internal_end_vectors() {
        let body = format!("{}&internal=101", common("NOTIFY_INTERNAL"));
        let e = event(&body, SIG_CDS);
        assert_eq!(e.kind, CallEventKind::Internal);
        assert_eq!(e.extension.as_deref(), Some("101"));
        assert_eq!(e.dedup_key, format!("NOTIFY_INTERNAL|{PBX}|101"));
        let other = event(&body.replace("internal=101", "internal=102"), SIG_CDS);
        assert_ne!(other.dedup_key, e.dedup_key);
        assert_rejects_tamper(&body, SIG_CDS);

        let body = format!("{}&internal=101", common("NOTIFY_INTERNAL_END"));
        let e = event(&body, SIG_CDS);
        assert_eq!(e.kind, CallEventKind::InternalEnd);
        assert_rejects_tamper(&body, SIG_CDS);
    }

    #[test]
    fn end_vector() {
        let body = format!(
            "{}&duration=47&disposition=answered&status_code=16&is_recorded=1&call_id_with_rec=1715674503.1234567&last_internal=101",
            common("NOTIFY_END")
        );
        let e = event(&body, SIG_CDS);
        assert_eq!(e.kind, CallEventKind::End);
        assert_eq!(e.duration_s, Some(47));
        assert_eq!(e.disposition, Some(Disposition::Answered));
        assert_eq!(e.status_code.as_deref(), Some("16"));
        assert!(e.is_recorded);
        assert_eq!(e.recording_id.as_deref(), Some("1715674503.1234567"));
        assert_eq!(e.extension.as_deref(), Some("101"));
        assert_rejects_tamper(&body, SIG_CDS);

        let missed = format!(
            "{}&duration=0&disposition=no+answer&status_code=19&is_recorded=0&call_id_with_rec=",
            common("NOTIFY_END")
        );
        let e = event(&missed, SIG_CDS);
        assert_eq!(e.disposition, Some(Disposition::NoAnswer));
        assert!(!e.is_recorded);
        assert_eq!(e.recording_id, None);
    }

    #[test]
    fn ivr_vector() {
        let body = format!(
            "{}&wait_dtmf%5Bname%5D=main&wait_dtmf%5Bdigits%5D=2",
            common("NOTIFY_IVR")
        );
        let e = event(&body, SIG_CDS);
        assert_eq!(e.kind, CallEventKind::Ivr);
        assert_eq!(e.dedup_key, format!("NOTIFY_IVR|{PBX}|main|2|"));
        assert_rejects_tamper(&body, SIG_CDS);
    }

    #[test]
    fn answer_vector() {
        let body = format!(
            "event=NOTIFY_ANSWER&caller_id=34600111222&destination=101&{START}&pbx_call_id={PBX}&internal=101"
        );
        let e = event(&body, SIG_ANSWER);
        assert_eq!(e.kind, CallEventKind::Answer);
        assert_eq!(e.direction, Direction::Inbound);
        assert_eq!(e.customer_number.as_deref(), Some("34600111222"));
        assert_eq!(e.extension.as_deref(), Some("101"));
        assert_rejects_tamper(&body, SIG_ANSWER);
        // START's rule does not validate ANSWER
        assert_eq!(run(&body, SIG_CDS), Err(WebhookError::BadSignature));
    }

    #[test]
    fn out_vectors() {
        for ev in ["NOTIFY_OUT_START", "NOTIFY_OUT_END"] {
            let body = format!(
                "event={ev}&call_start=2024-05-14+11%3A00%3A00&pbx_call_id=out_abc&internal=101&destination=34600111222&caller_id=34911234567&duration=5&disposition=busy"
            );
            let e = event(&body, SIG_OUT);
            assert_eq!(e.direction, Direction::Outbound);
            assert_eq!(e.customer_number.as_deref(), Some("34600111222"));
            assert_eq!(e.our_number.as_deref(), Some("34911234567"));
            assert_eq!(e.extension.as_deref(), Some("101"));
            assert_eq!(e.dedup_key, format!("{ev}|out_abc|101|34600111222"));
            let tampered = body.replace("11%3A00%3A00", "11%3A00%3A01");
            assert_eq!(run(&tampered, SIG_OUT), Err(WebhookError::BadSignature));
        }
    }

    #[test]
    fn record_vector() {
        let body =
            format!("event=NOTIFY_RECORD&call_id_with_rec=1715674503.1234567&pbx_call_id={PBX}");
        let e = event(&body, SIG_RECORD);
        assert_eq!(e.kind, CallEventKind::Record);
        assert_eq!(e.recording_id.as_deref(), Some("1715674503.1234567"));
        assert_eq!(
            e.dedup_key,
            format!("NOTIFY_RECORD|{PBX}|1715674503.1234567")
        );
        let tampered = body.replace("1234567", "1234568");
        assert_eq!(run(&tampered, SIG_RECORD), Err(WebhookError::BadSignature));
    }

    #[test]
    fn sms_vector() {
        let result =
            r#"{"caller_id":"+34600111222","caller_did":"+34911234567","text":"Hola ñandú"}"#;
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("event", "SMS")
            .append_pair("result", result)
            .finish();
        match run(&body, SIG_SMS).unwrap() {
            InboundOutcome::OtherEvent {
                name,
                fields,
                verified,
            } => {
                assert_eq!(name, "SMS");
                assert!(verified);
                assert_eq!(get(&fields, "result"), Some(result));
            }
            o => panic!("{o:?}"),
        }
        let tampered = body.replace("Hola", "Hole");
        assert_eq!(run(&tampered, SIG_SMS), Err(WebhookError::BadSignature));
        let h = vec![];
        assert_eq!(
            parse(SECRET, None, &req(&body, &h, None)),
            Err(WebhookError::MissingSignature)
        );
    }

    #[test]
    fn plus_decoding_vector() {
        let body = format!(
            "event=NOTIFY_START&{START}&pbx_call_id={PBX}&caller_id=%2B34600111222&called_did=34911234567"
        );
        let e = event(&body, SIG_PLUS);
        assert_eq!(e.customer_number.as_deref(), Some("+34600111222"));
        assert_eq!(e.call_start.as_deref(), Some("2024-05-14 10:15:03"));
        // the signature for an undecoded '+' in call_start is wrong
        let bad = webhook_signature(SECRET, "+34600111222349112345672024-05-14+10:15:03");
        assert!(bad.starts_with("NDk0YjRl"));
        assert_eq!(run(&body, &bad), Err(WebhookError::BadSignature));
    }

    #[test]
    fn raw_base64_rejected() {
        assert_eq!(
            run(&common("NOTIFY_START"), RAW_B64),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn missing_and_empty_signature() {
        let body = common("NOTIFY_START");
        let h = vec![];
        assert_eq!(
            parse(SECRET, None, &req(&body, &h, None)),
            Err(WebhookError::MissingSignature)
        );
        assert_eq!(run(&body, ""), Err(WebhookError::MissingSignature));
        // header name is matched case-insensitively
        let h = vec![("Signature".to_string(), SIG_CDS.to_string())];
        assert!(parse(SECRET, None, &req(&body, &h, None)).is_ok());
    }

    #[test]
    fn echo_get_and_post() {
        let h = vec![];
        let r = InboundRequest {
            method: "GET",
            query: Some("zd_echo=abc%20123"),
            headers: &h,
            content_type: None,
            body: b"",
            remote_ip: None,
        };
        assert_eq!(
            parse(SECRET, None, &r),
            Ok(InboundOutcome::Echo("abc 123".into()))
        );
        assert_eq!(
            parse(SECRET, None, &req("zd_echo=xyz", &h, None)),
            Ok(InboundOutcome::Echo("xyz".into()))
        );
    }

    #[test]
    fn ip_allowlist() {
        let nets: Vec<IpCidr> = vec!["185.45.152.40/30".parse().unwrap()];
        let h = sig(SIG_CDS);
        let body = common("NOTIFY_START");
        let ok = parse(
            SECRET,
            Some(&nets),
            &req(&body, &h, Some("185.45.152.42".parse().unwrap())),
        );
        assert!(matches!(ok, Ok(InboundOutcome::Event(_))));
        let bad_ip: std::net::IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(
            parse(SECRET, Some(&nets), &req(&body, &h, Some(bad_ip))),
            Err(WebhookError::ForbiddenSource(bad_ip))
        );
        assert!(matches!(
            parse(SECRET, Some(&nets), &req(&body, &h, None)),
            Err(WebhookError::ForbiddenSource(_))
        ));
    }

    #[test]
    fn unknown_events() {
        // unknown NOTIFY_* must be signed with one of the known rules
        let body = common("NOTIFY_FUTURE");
        assert_eq!(
            run(&body, SIG_CDS),
            Ok(InboundOutcome::OtherEvent {
                name: "NOTIFY_FUTURE".into(),
                fields: decode_urlencoded(body.as_bytes()),
                verified: true
            })
        );
        assert_eq!(run(&body, RAW_B64), Err(WebhookError::BadSignature));
        let h = vec![];
        assert_eq!(
            parse(SECRET, None, &req(&body, &h, None)),
            Err(WebhookError::MissingSignature)
        );
        // SPEECH_RECOGNITION: no documented rule, never refused, marked unverified
        let body = "event=SPEECH_RECOGNITION&pbx_call_id=x&result=%7B%7D";
        assert!(matches!(
            run(body, "whatever"),
            Ok(InboundOutcome::OtherEvent {
                verified: false,
                ..
            })
        ));
        assert!(matches!(
            parse(SECRET, None, &req(body, &h, None)),
            Ok(InboundOutcome::OtherEvent {
                verified: false,
                ..
            })
        ));
    }

    #[test]
    fn malformed() {
        assert!(matches!(
            run("caller_id=1", SIG_CDS),
            Err(WebhookError::Malformed(_))
        ));
        let h = sig(SIG_CDS);
        let mut r = req("{}", &h, None);
        r.content_type = Some("application/json");
        assert!(matches!(
            parse(SECRET, None, &r),
            Err(WebhookError::Malformed(_))
        ));
        // signed but without pbx_call_id
        let body =
            format!("event=NOTIFY_START&{START}&caller_id=34600111222&called_did=34911234567");
        assert!(matches!(
            run(&body, SIG_CDS),
            Err(WebhookError::Malformed(_))
        ));
    }

    #[test]
    fn multipart_body() {
        let body = format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"event\"\r\n\r\nNOTIFY_START\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"call_start\"\r\n\r\n2024-05-14 10:15:03\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"pbx_call_id\"\r\n\r\n{PBX}\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"caller_id\"\r\n\r\n34600111222\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"called_did\"\r\n\r\n34911234567\r\n\
             --XyZ--\r\n"
        );
        let h = sig(SIG_CDS);
        let mut r = req(&body, &h, None);
        r.content_type = Some("multipart/form-data; boundary=\"XyZ\"");
        match parse(SECRET, None, &r) {
            Ok(InboundOutcome::Event(e)) => {
                assert_eq!(e.call_start.as_deref(), Some("2024-05-14 10:15:03"));
                assert_eq!(e.fields.len(), 5);
            }
            o => panic!("{o:?}"),
        }
        r.content_type = Some("multipart/form-data");
        assert!(matches!(
            parse(SECRET, None, &r),
            Err(WebhookError::Malformed(_))
        ));
    }

    #[test]
    fn retried_delivery_same_key() {
        let body = format!("{}&internal=101", common("NOTIFY_INTERNAL"));
        assert_eq!(
            event(&body, SIG_CDS).dedup_key,
            event(&body, SIG_CDS).dedup_key
        );
    }
}
