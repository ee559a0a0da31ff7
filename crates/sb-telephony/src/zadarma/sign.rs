//! Zadarma signing (spec 1.2 and 3.2): PHP `urlencode`, `ksort`, MD5, hex HMAC-SHA1,
//! Base64 of the hex string.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha1::Sha1;

/// PHP `urlencode`: keeps `A-Z a-z 0-9 - _ .`, space → `+`, every other UTF-8 byte →
/// `%XX` with uppercase hex (so `~` → `%7E`, `*` → `%2A`, `+` → `%2B`).
pub fn php_urlencode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0x0f)]));
            }
        }
    }
    out
}

/// `http_build_query(ksort($params), '', '&', PHP_QUERY_RFC1738)`: keys sorted byte-wise
/// (stable for duplicate keys), `k=v` pairs joined by `&`. No params → `""`.
pub fn params_string(params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<&(&str, &str)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", php_urlencode(k), php_urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    s
}

/// Base64(lowercase hex(HMAC-SHA1(secret, msg))). `None` only if the MAC cannot be keyed,
/// which HMAC never refuses.
fn hmac_hex_b64(secret: &str, msg: &[u8]) -> Option<String> {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(msg);
    let hexed = hex(&mac.finalize().into_bytes());
    Some(base64::engine::general_purpose::STANDARD.encode(hexed.as_bytes()))
}

/// Signs a REST call. `method_path` is e.g. `/v1/request/callback/` (trailing slash, no
/// host, no `?`); `params` exactly as they will be sent (include `format=json`).
/// Returns `(params_str, authorization_header_value)`; send `params_str` verbatim as the
/// query string (GET) or the form body (POST).
pub fn sign_request(
    key: &str,
    secret: &str,
    method_path: &str,
    params: &[(&str, &str)],
) -> (String, String) {
    let params_str = params_string(params);
    let md5hex = hex(&Md5::digest(params_str.as_bytes()));
    let sign_string = format!("{method_path}{params_str}{md5hex}");
    let sig = hmac_hex_b64(secret, sign_string.as_bytes()).unwrap_or_default();
    (params_str, format!("{key}:{sig}"))
}

/// Webhook `Signature` value for an already concatenated, form-decoded signed string.
pub fn webhook_signature(secret: &str, signed_string: &str) -> String {
    hmac_hex_b64(secret, signed_string.as_bytes()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "a1b2c3d4e5f6a7b8c9d0";
    const SECRET: &str = "0123456789abcdefABCD";
    const PBX: &str = "in_ae6b03b3b0765d127ec0b739209346bbc4f0d52d";

    fn auth(sig: &str) -> String {
        format!("{KEY}:{sig}")
    }

    #[test]
    fn php_urlencode_rules() {
        assert_eq!(php_urlencode("a-Z_0.9"), "a-Z_0.9");
        assert_eq!(php_urlencode("a b+c"), "a+b%2Bc");
        assert_eq!(php_urlencode(":~*()!"), "%3A%7E%2A%28%29%21");
        assert_eq!(php_urlencode("ñ"), "%C3%B1");
        assert_eq!(php_urlencode(""), "");
    }

    #[test]
    fn md5_of_empty() {
        assert_eq!(hex(&Md5::digest(b"")), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn v1_balance() {
        let (p, a) = sign_request(KEY, SECRET, "/v1/info/balance/", &[("format", "json")]);
        assert_eq!(p, "format=json");
        assert_eq!(
            hex(&Md5::digest(p.as_bytes())),
            "0cce6c99b4e629aa977d00c2fece8a23"
        );
        assert_eq!(
            a,
            auth("OGEzYjljMWViYjJlNjc2YWJlNzhkOWY0NzAxYzZhYmNjNDEyNTFjNA==")
        );
        let (p, a) = sign_request(KEY, SECRET, "/v1/info/balance/", &[]);
        assert_eq!(p, "");
        assert_eq!(
            a,
            auth("YmNjYmEzM2U0Mzg1YTc1NzQ2ZDllMGEyMDAyNjk2YTRjMGQ4ZTBjYw==")
        );
    }

    #[test]
    fn v2_callback() {
        let (p, a) = sign_request(
            KEY,
            SECRET,
            "/v1/request/callback/",
            &[("to", "+34911234567"), ("from", "100"), ("format", "json")],
        );
        assert_eq!(p, "format=json&from=100&to=%2B34911234567");
        assert_eq!(
            hex(&Md5::digest(p.as_bytes())),
            "9ed0b06d790166b6fbcb5270b4f3af8a"
        );
        assert_eq!(
            a,
            auth("NDg3NDE5MDI0ZDhkZDdmMTQ4MTZkYWUxZjAwYTQ2ZTkyZmU3ZmQzZQ==")
        );
        let (_, a) = sign_request(
            KEY,
            SECRET,
            "/v1/request/callback/",
            &[("from", "100"), ("to", "+34911234567")],
        );
        assert_eq!(
            a,
            auth("NThiYzUyMWY3MzA4Y2QzNmQzNGE0NzNkOThmZWE1ZTAwZjZkMDJlMw==")
        );
    }

    #[test]
    fn v3_sms_utf8() {
        let params = [("number", "34600111222"), ("message", "Hola ñandú")];
        let mut with = params.to_vec();
        with.push(("format", "json"));
        let (p, a) = sign_request(KEY, SECRET, "/v1/sms/send/", &with);
        assert_eq!(
            p,
            "format=json&message=Hola+%C3%B1and%C3%BA&number=34600111222"
        );
        assert_eq!(
            hex(&Md5::digest(p.as_bytes())),
            "19ad82336426fdc5346d239b464df70c"
        );
        assert_eq!(
            a,
            auth("NDQxYmUwYzg0YWIxYzg0YWUzZmYxN2QyY2U1ZTk5OTg4ZDE2NmQxYQ==")
        );
        let (_, a) = sign_request(KEY, SECRET, "/v1/sms/send/", &params);
        assert_eq!(
            a,
            auth("ZDM1YjhmYTJkNzYzMTkzYWU4OTNkMGZjOTEzZWQ0OGJiYmJhYzJjNQ==")
        );
    }

    #[test]
    fn v4_record() {
        let (p, a) = sign_request(
            KEY,
            SECRET,
            "/v1/pbx/record/request/",
            &[
                ("pbx_call_id", PBX),
                ("lifetime", "3600"),
                ("format", "json"),
            ],
        );
        assert_eq!(p, format!("format=json&lifetime=3600&pbx_call_id={PBX}"));
        assert_eq!(
            a,
            auth("ZWEwNjI2MmJjZTUxNzA4MzE5ZDc2Y2QwODBkNDRmYTFjMjNiZWJmNw==")
        );
        let (_, a) = sign_request(
            KEY,
            SECRET,
            "/v1/pbx/record/request/",
            &[("pbx_call_id", PBX), ("lifetime", "3600")],
        );
        assert_eq!(
            a,
            auth("ZmNmZmVmNzBkNGRjYjhmMjgzYjFhYThiN2MwN2YzM2MwOTRiYjg5Zg==")
        );
    }

    #[test]
    fn v5_statistics() {
        let params = [
            ("start", "2024-05-01 00:00:00"),
            ("end", "2024-05-31 23:59:59"),
            ("version", "2"),
        ];
        let mut with = params.to_vec();
        with.push(("format", "json"));
        let (p, a) = sign_request(KEY, SECRET, "/v1/statistics/pbx/", &with);
        assert_eq!(
            p,
            "end=2024-05-31+23%3A59%3A59&format=json&start=2024-05-01+00%3A00%3A00&version=2"
        );
        assert_eq!(
            a,
            auth("ODNiMjQ0MmZmNzQxNGJiYjE2NjAyZWEyZTA5ZWJkMzhjNmIxMzIxMA==")
        );
        let (_, a) = sign_request(KEY, SECRET, "/v1/statistics/pbx/", &params);
        assert_eq!(
            a,
            auth("YzE0YWM4MjVhOGRlODI5NDE3NmE3NWY2NzAzY2Y3M2MxMTJkODQ4ZQ==")
        );
    }

    #[test]
    fn v6_php_encoding_edge() {
        let (p, a) = sign_request(
            KEY,
            SECRET,
            "/v1/sms/send/",
            &[
                ("number", "34600111222"),
                ("message", "Cita mañana 10:00 (sala *B*) ~ok! +info"),
                ("format", "json"),
            ],
        );
        assert_eq!(
            p,
            "format=json&message=Cita+ma%C3%B1ana+10%3A00+%28sala+%2AB%2A%29+%7Eok%21+%2Binfo&number=34600111222"
        );
        assert_eq!(
            a,
            auth("NWYyMjNhYzJiZmFmNDA4MjliM2U5MGY5NWQyMzZiNTU4Mzc0NmZiZg==")
        );
        // Python (raw '~') and TS (raw '*') variants must not match.
        assert_ne!(
            a,
            auth("ZGI2ODQyMWRhMDFhNTFmMjc0NGI2NjczM2ZiYjliYmY1NDg5NWU5ZQ==")
        );
        assert_ne!(
            a,
            auth("NGQwM2QwMzFiZjE3OWMxYjRjNmVmMTMyNzE1OWQ5ZDJmYjNlZDY1YQ==")
        );
    }

    #[test]
    fn one_byte_changes_signature() {
        let (_, a) = sign_request(
            KEY,
            SECRET,
            "/v1/request/callback/",
            &[("to", "+34911234568"), ("from", "100"), ("format", "json")],
        );
        assert_ne!(
            a,
            auth("NDg3NDE5MDI0ZDhkZDdmMTQ4MTZkYWUxZjAwYTQ2ZTkyZmU3ZmQzZQ==")
        );
        let (_, a) = sign_request(KEY, SECRET, "/v1/info/balance", &[("format", "json")]);
        assert_ne!(
            a,
            auth("OGEzYjljMWViYjJlNjc2YWJlNzhkOWY0NzAxYzZhYmNjNDEyNTFjNA==")
        );
    }

    #[test]
    fn webhook_signature_shape() {
        let s = webhook_signature(SECRET, "34600111222349112345672024-05-14 10:15:03");
        assert_eq!(
            s,
            "ZTdiNDdiYzNiYWYwMDU2MWZiMWIwNTBlM2Y4MjZkYTcyYzgwMGU5MQ=="
        );
        assert_eq!(s.len(), 56);
    }
}
