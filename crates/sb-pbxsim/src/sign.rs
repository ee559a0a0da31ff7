//! Signatures exactly as in spec sections 1.2 (REST `Authorization`) and 3.2
//! (webhook `Signature`). Public so end-to-end tests can forge or check
//! signatures the way the PBX does, independently of the CRM's own client.

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha1::Sha1;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// PHP `urlencode`: keeps `A-Z a-z 0-9 - _ .`, space becomes `+`, every other
/// UTF-8 byte becomes `%XX` with uppercase hex (spec 1.2 step 3).
pub fn php_urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
    out
}

/// PHP `http_build_query(..., PHP_QUERY_RFC1738)` over pairs in the given order.
pub fn http_build_query<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&php_urlencode(k.as_ref()));
        out.push('=');
        out.push_str(&php_urlencode(v.as_ref()));
    }
    out
}

/// `paramsStr` of spec 1.2: parameters sorted byte-wise by key (PHP `ksort`;
/// a `BTreeMap<String, _>` iterates in exactly that order), then encoded.
pub fn params_string(params: &BTreeMap<String, String>) -> String {
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    http_build_query(&pairs)
}

fn lower_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)].to_ascii_lowercase()));
        out.push(char::from(HEX[usize::from(b & 15)].to_ascii_lowercase()));
    }
    out
}

/// Lowercase hex MD5.
pub fn md5_hex(data: &str) -> String {
    lower_hex(&Md5::digest(data.as_bytes()))
}

/// Lowercase hex HMAC-SHA1.
pub fn hmac_sha1_hex(secret: &str, msg: &str) -> String {
    // HMAC accepts keys of any length, so this never fails in practice; an
    // empty string can never match a real signature, which is the safe side.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(msg.as_bytes());
    lower_hex(&mac.finalize().into_bytes())
}

/// Base64 of the 40 ASCII hex characters (not of the raw digest): the wrapping
/// both REST and webhook signatures use.
pub fn hex_hmac_base64(secret: &str, msg: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac_sha1_hex(secret, msg))
}

/// REST signature (the part after `key:` in `Authorization`) for a method path
/// such as `/v1/request/callback/` and an already built `paramsStr`.
pub fn rest_signature(method_path: &str, params_str: &str, secret: &str) -> String {
    let sign_string = format!("{method_path}{params_str}{}", md5_hex(params_str));
    hex_hmac_base64(secret, &sign_string)
}

/// Full `Authorization` header value for a request with these parameters.
pub fn rest_authorization(
    key: &str,
    secret: &str,
    method_path: &str,
    params: &BTreeMap<String, String>,
) -> String {
    format!(
        "{key}:{}",
        rest_signature(method_path, &params_string(params), secret)
    )
}

fn field<'a, K: AsRef<str>, V: AsRef<str>>(fields: &'a [(K, V)], name: &str) -> &'a str {
    fields
        .iter()
        .rev()
        .find(|(k, _)| k.as_ref() == name)
        .map_or("", |(_, v)| v.as_ref())
}

/// The string a webhook's `Signature` covers (spec 3.2 table), built from the
/// decoded form fields; missing fields count as empty. `None` for events the
/// spec gives no signature rule for.
pub fn webhook_signed_string<K: AsRef<str>, V: AsRef<str>>(fields: &[(K, V)]) -> Option<String> {
    let f = |name| field(fields, name);
    let s = match f("event") {
        "NOTIFY_START"
        | "NOTIFY_INTERNAL"
        | "NOTIFY_END"
        | "NOTIFY_IVR"
        | "NOTIFY_INTERNAL_END" => {
            format!("{}{}{}", f("caller_id"), f("called_did"), f("call_start"))
        }
        "NOTIFY_ANSWER" => format!("{}{}{}", f("caller_id"), f("destination"), f("call_start")),
        "NOTIFY_OUT_START" | "NOTIFY_OUT_END" => {
            format!("{}{}{}", f("internal"), f("destination"), f("call_start"))
        }
        "NOTIFY_RECORD" => format!("{}{}", f("pbx_call_id"), f("call_id_with_rec")),
        "SMS" | "NUMBER_LOOKUP" | "CALL_TRACKING" => f("result").to_owned(),
        _ => return None,
    };
    Some(s)
}

/// The `Signature` header value for a webhook with these fields (empty string
/// for events without a signature rule).
pub fn webhook_signature<K: AsRef<str>, V: AsRef<str>>(secret: &str, fields: &[(K, V)]) -> String {
    webhook_signed_string(fields).map_or_else(String::new, |s| hex_hmac_base64(secret, &s))
}

/// Constant-time equality, so signature checks leak no timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Keeps only ASCII digits, as PHP `filterNumber` does for numbers.
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdefABCD";
    const PBX: &str = "in_0f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3d4";
    const START: &str = "2024-05-14 10:15:03";

    fn ev(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn urlencode_matches_php() {
        assert_eq!(
            php_urlencode("Cita mañana 10:00 (sala *B*) ~ok! +info"),
            "Cita+ma%C3%B1ana+10%3A00+%28sala+%2AB%2A%29+%7Eok%21+%2Binfo"
        );
    }

    #[test]
    fn rest_intermediates_v1_v2() {
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex("format=json"), "0cce6c99b4e629aa977d00c2fece8a23");
        let p = "format=json&from=100&to=%2B34911234567";
        assert_eq!(md5_hex(p), "9ed0b06d790166b6fbcb5270b4f3af8a");
        assert_eq!(
            hmac_sha1_hex(SECRET, &format!("/v1/request/callback/{p}{}", md5_hex(p))),
            "487419024d8dd7f14816dae1f00a46e92fe7fd3e"
        );
        let mut m = BTreeMap::new();
        m.insert("to".to_owned(), "+34911234567".to_owned());
        m.insert("from".to_owned(), "100".to_owned());
        m.insert("format".to_owned(), "json".to_owned());
        assert_eq!(
            rest_authorization("a1b2c3d4e5f6a7b8c9d0", SECRET, "/v1/request/callback/", &m),
            "a1b2c3d4e5f6a7b8c9d0:NDg3NDE5MDI0ZDhkZDdmMTQ4MTZkYWUxZjAwYTQ2ZTkyZmU3ZmQzZQ=="
        );
    }

    /// Spec 3.3: the common values through the same functions the sim sends with.
    #[test]
    fn webhook_vectors_3_3() {
        let common = [
            ("pbx_call_id", PBX),
            ("caller_id", "34600111222"),
            ("called_did", "34911234567"),
            ("call_start", START),
        ];
        let with = |event: &str, extra: &[(&str, &str)]| {
            let mut v = ev(&[("event", event)]);
            v.extend(ev(&common));
            v.extend(ev(extra));
            v
        };
        let first = "ZTdiNDdiYzNiYWYwMDU2MWZiMWIwNTBlM2Y4MjZkYTcyYzgwMGU5MQ==";
        for fields in [
            with("NOTIFY_START", &[]),
            with("NOTIFY_INTERNAL", &[("internal", "101")]),
            with(
                "NOTIFY_END",
                &[
                    ("duration", "47"),
                    ("disposition", "answered"),
                    ("status_code", "16"),
                    ("is_recorded", "1"),
                    ("call_id_with_rec", "1715674503.1234567"),
                ],
            ),
            with("NOTIFY_IVR", &[]),
        ] {
            assert_eq!(
                webhook_signed_string(&fields).unwrap(),
                "34600111222349112345672024-05-14 10:15:03"
            );
            assert_eq!(webhook_signature(SECRET, &fields), first);
        }
        let answer = with(
            "NOTIFY_ANSWER",
            &[("destination", "101"), ("internal", "101")],
        );
        assert_eq!(
            webhook_signed_string(&answer).unwrap(),
            "346001112221012024-05-14 10:15:03"
        );
        assert_eq!(
            webhook_signature(SECRET, &answer),
            "ZjM5N2ZlZGI1MDA4YWQ5ZjBiM2YyMWZhMDVjN2NiYjBkYzc4Mjc2MQ=="
        );
        for event in ["NOTIFY_OUT_START", "NOTIFY_OUT_END"] {
            let out = ev(&[
                ("event", event),
                ("call_start", "2024-05-14 11:00:00"),
                ("internal", "101"),
                ("destination", "34600111222"),
            ]);
            assert_eq!(
                webhook_signature(SECRET, &out),
                "NmZkOWYxMWIxMDY2MTViOWJhMTcyODI3YmI2OGYwOTE5YTBmOWQ3Nw=="
            );
        }
        let record = ev(&[
            ("event", "NOTIFY_RECORD"),
            ("call_id_with_rec", "1715674503.1234567"),
            ("pbx_call_id", PBX),
        ]);
        assert_eq!(
            webhook_signature(SECRET, &record),
            "NTcyMWViODliMDNmNTNlNzFjMjA1MzZjZTc1MmQxYmIzODdmNzQxZA=="
        );
        let sms = ev(&[
            ("event", "SMS"),
            (
                "result",
                r#"{"caller_id":"+34600111222","caller_did":"+34911234567","text":"Hola ñandú"}"#,
            ),
        ]);
        assert_eq!(
            webhook_signature(SECRET, &sms),
            "ODliMmY2Y2EwMmNkODU0MGFjNmUzNzdkYWQyZDIxZWE1YjU5NzdmZA=="
        );
        // Last row: the raw body decoded by a real form parser.
        let raw = format!(
            "event=NOTIFY_START&call_start=2024-05-14+10%3A15%3A03&pbx_call_id={PBX}\
             &caller_id=%2B34600111222&called_did=34911234567"
        );
        let decoded: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            webhook_signature(SECRET, &decoded),
            "NDRjOGQ1NDk5ODI1MGYzNjg1NjJmMDgyNWE0M2M2NjJhODBjYjU5Mw=="
        );
        // And the body the sim would send for those fields is byte-identical.
        assert_eq!(http_build_query(&decoded), raw);
        // Negative vector: raw-digest Base64 is not what we produce.
        assert_ne!(
            webhook_signature(SECRET, &with("NOTIFY_START", &[])),
            "57R7w7rwBWH7GwUOP4JtpyyADpE="
        );
    }
}
