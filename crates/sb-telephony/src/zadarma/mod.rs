//! Zadarma cloud PBX provider: signed REST client (spec 1–2), webhooks (spec 3),
//! call-control replies (spec 4).

mod sign;
mod webhook;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

pub use sign::{params_string, php_urlencode, sign_request, webhook_signature};

use crate::error::{PbxError, WebhookError};
use crate::model::{
    digits, Balance, CallControl, InboundOutcome, InboundRequest, IpCidr, RenderedReply,
};
use crate::provider::PbxProvider;

pub const DEFAULT_BASE_URL: &str = "https://api.zadarma.com";
pub const SANDBOX_BASE_URL: &str = "https://api-sandbox.zadarma.com";
/// Source range used by third-party integrations (spec 6); only `185.45.152.42` is official.
pub const DEFAULT_SOURCE_NETS: &[&str] = &["185.45.152.40/30"];
pub const DEFAULT_MAX_DOWNLOAD_BYTES: usize = 50 * 1024 * 1024;

/// The spec's suggested webhook source allow list (`185.45.152.40/30`).
pub fn default_ip_allowlist() -> Vec<IpCidr> {
    DEFAULT_SOURCE_NETS
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect()
}

#[derive(Clone)]
pub struct ZadarmaConfig {
    pub key: String,
    pub secret: String,
    /// Without trailing slash; default [`DEFAULT_BASE_URL`].
    pub base_url: String,
    /// Whole-request timeout (connect timeout is the smaller of this and 10 s).
    pub timeout: Duration,
    /// `None` = no source check (the signature is always checked).
    pub ip_allowlist: Option<Vec<IpCidr>>,
    /// Upper bound for [`PbxProvider::download`].
    pub max_download_bytes: usize,
}

impl ZadarmaConfig {
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            secret: secret.into(),
            base_url: DEFAULT_BASE_URL.to_string(),
            timeout: Duration::from_secs(15),
            ip_allowlist: None,
            max_download_bytes: DEFAULT_MAX_DOWNLOAD_BYTES,
        }
    }
}

impl fmt::Debug for ZadarmaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZadarmaConfig")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("ip_allowlist", &self.ip_allowlist)
            .field("max_download_bytes", &self.max_download_bytes)
            .finish()
    }
}

/// One Zadarma account: owns one `reqwest::Client`.
#[derive(Debug, Clone)]
pub struct Zadarma {
    cfg: ZadarmaConfig,
    http: reqwest::Client,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Get,
    Post,
}

impl Zadarma {
    pub fn new(mut cfg: ZadarmaConfig) -> Result<Self, PbxError> {
        cfg.base_url = cfg.base_url.trim_end_matches('/').to_string();
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .timeout(cfg.timeout)
            .user_agent(concat!(
                "switchboard-sb-telephony/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| PbxError::Protocol(format!("cannot build HTTP client: {e}")))?;
        Ok(Self { cfg, http })
    }

    pub fn config(&self) -> &ZadarmaConfig {
        &self.cfg
    }

    /// Signed GET `/v1/<method>/` for methods the trait does not cover (e.g.
    /// `info/timezone`, `statistics/pbx`). Returns the `"status":"success"` object.
    pub async fn api_get(&self, method: &str, params: &[(&str, &str)]) -> Result<Value, PbxError> {
        self.call(Verb::Get, method, params).await
    }

    /// Signed POST (form body) `/v1/<method>/`, e.g. `sms/send`.
    pub async fn api_post(&self, method: &str, params: &[(&str, &str)]) -> Result<Value, PbxError> {
        self.call(Verb::Post, method, params).await
    }

    /// Signed call to `/v1/<method>/` (`method` without slashes around it, e.g.
    /// `info/balance`). Adds `format=json`. Returns the parsed success object.
    #[tracing::instrument(skip_all, fields(provider = "zadarma", method = %method))]
    async fn call(
        &self,
        verb: Verb,
        method: &str,
        params: &[(&str, &str)],
    ) -> Result<Value, PbxError> {
        let path = format!("/v1/{}/", method.trim_matches('/'));
        let mut all: Vec<(&str, &str)> = params.to_vec();
        all.push(("format", "json"));
        let (params_str, authorization) =
            sign_request(&self.cfg.key, &self.cfg.secret, &path, &all);
        let url = format!("{}{}", self.cfg.base_url, path);
        let rb = match verb {
            Verb::Get if params_str.is_empty() => self.http.get(url),
            Verb::Get => self.http.get(format!("{url}?{params_str}")),
            Verb::Post => self
                .http
                .post(url)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(params_str),
        };
        let resp = rb
            .header(reqwest::header::AUTHORIZATION, authorization)
            .send()
            .await
            .map_err(map_reqwest)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(map_reqwest)?;
        interpret(status.as_u16(), &body)
    }
}

fn map_reqwest(e: reqwest::Error) -> PbxError {
    if e.is_timeout() {
        PbxError::Timeout
    } else if e.is_connect() {
        PbxError::Unreachable(e.to_string())
    } else if e.is_decode() || e.is_body() {
        PbxError::Protocol(e.to_string())
    } else {
        PbxError::Unreachable(e.to_string())
    }
}

fn classify_message(msg: String) -> PbxError {
    let lower = msg.to_ascii_lowercase();
    if lower.contains("auth") {
        PbxError::Auth(msg)
    } else if lower.contains("rate limit") {
        PbxError::RateLimited
    } else {
        PbxError::Rejected(msg)
    }
}

/// Maps an HTTP answer to a success object or a [`PbxError`].
fn interpret(status: u16, body: &[u8]) -> Result<Value, PbxError> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let error_message = json.as_ref().and_then(|v| {
        (v.get("status").and_then(Value::as_str) == Some("error")).then(|| {
            v.get("message")
                .and_then(Value::as_str)
                .unwrap_or("unspecified error")
                .to_string()
        })
    });
    match status {
        401 | 403 => Err(PbxError::Auth(
            error_message.unwrap_or_else(|| format!("HTTP {status}")),
        )),
        429 => Err(PbxError::RateLimited),
        500..=599 => Err(PbxError::Protocol(format!(
            "HTTP {status}{}",
            error_message.map(|m| format!(": {m}")).unwrap_or_default()
        ))),
        _ => {
            if let Some(msg) = error_message {
                return Err(classify_message(msg));
            }
            match json {
                Some(v) if v.get("status").and_then(Value::as_str) == Some("success") => Ok(v),
                Some(_) if !(200..300).contains(&status) => {
                    Err(PbxError::Protocol(format!("HTTP {status}")))
                }
                Some(v) => Err(PbxError::Protocol(format!(
                    "unexpected answer: {}",
                    truncate(&v.to_string())
                ))),
                None => Err(PbxError::Protocol(format!(
                    "HTTP {status}, unparseable answer: {}",
                    truncate(&String::from_utf8_lossy(body))
                ))),
            }
        }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(200).collect()
}

/// Number or numeric string → f64.
fn lenient_f64(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Number or string → String (for ids/extensions).
fn lenient_string(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

#[async_trait]
impl PbxProvider for Zadarma {
    fn kind(&self) -> &'static str {
        "zadarma"
    }

    async fn balance(&self) -> Result<Balance, PbxError> {
        let v = self.call(Verb::Get, "info/balance", &[]).await?;
        let amount = lenient_f64(v.get("balance"))
            .ok_or_else(|| PbxError::Protocol("balance missing".into()))?;
        let currency = v
            .get("currency")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Ok(Balance { amount, currency })
    }

    async fn extensions(&self) -> Result<Vec<String>, PbxError> {
        let v = self.call(Verb::Get, "pbx/internal", &[]).await?;
        let numbers = v
            .get("numbers")
            .and_then(Value::as_array)
            .ok_or_else(|| PbxError::Protocol("numbers missing".into()))?;
        Ok(numbers.iter().filter_map(lenient_string).collect())
    }

    /// `from` is sent trimmed but otherwise as given (it may be an extension, SIP id or
    /// scenario); `to` is reduced to digits like PHP `filterNumber`.
    async fn click_to_call(&self, from_extension: &str, to_number: &str) -> Result<(), PbxError> {
        let from = from_extension.trim();
        let to = digits(to_number);
        if from.is_empty() || to.is_empty() {
            return Err(PbxError::Rejected(
                "click-to-call needs an extension and a number with digits".into(),
            ));
        }
        self.call(
            Verb::Get,
            "request/callback",
            &[("from", from), ("to", &to)],
        )
        .await
        .map(|_| ())
    }

    async fn recording_links(
        &self,
        provider_call_id: &str,
        recording_id: Option<&str>,
    ) -> Result<Vec<String>, PbxError> {
        let params: Vec<(&str, &str)> = match recording_id.map(str::trim).filter(|r| !r.is_empty())
        {
            Some(rec) => vec![("call_id", rec)],
            None => vec![("pbx_call_id", provider_call_id.trim())],
        };
        let v = self.call(Verb::Get, "pbx/record/request", &params).await?;
        let mut links: Vec<String> = Vec::new();
        if let Some(l) = v.get("link").and_then(Value::as_str) {
            links.push(l.to_string());
        }
        if let Some(arr) = v.get("links").and_then(Value::as_array) {
            links.extend(arr.iter().filter_map(Value::as_str).map(str::to_string));
        }
        links.retain(|l| !l.is_empty());
        if links.is_empty() {
            return Err(PbxError::Protocol("no recording link in answer".into()));
        }
        Ok(links)
    }

    #[tracing::instrument(skip_all, fields(provider = "zadarma"))]
    async fn download(&self, url: &str) -> Result<bytes::Bytes, PbxError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| PbxError::Rejected(format!("bad recording URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(PbxError::Rejected("recording URL must be http(s)".into()));
        }
        let max = self.cfg.max_download_bytes;
        let mut resp = self.http.get(parsed).send().await.map_err(map_reqwest)?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            let body = resp.bytes().await.unwrap_or_default();
            return Err(match interpret(status, &body) {
                Err(e) => e,
                Ok(_) => PbxError::Protocol(format!("HTTP {status}")),
            });
        }
        if resp.content_length().is_some_and(|l| l > max as u64) {
            return Err(PbxError::Protocol(format!(
                "recording larger than {max} bytes"
            )));
        }
        let mut buf = bytes::BytesMut::new();
        while let Some(chunk) = resp.chunk().await.map_err(map_reqwest)? {
            if buf.len() + chunk.len() > max {
                return Err(PbxError::Protocol(format!(
                    "recording larger than {max} bytes"
                )));
            }
            buf.extend_from_slice(&chunk);
        }
        // Zadarma answers "File not found" etc. as JSON with 200; don't store that as audio.
        if buf.first() == Some(&b'{') && serde_json::from_slice::<Value>(&buf).is_ok() {
            interpret(status, &buf)?;
        }
        Ok(buf.freeze())
    }

    fn parse_webhook(&self, req: &InboundRequest<'_>) -> Result<InboundOutcome, WebhookError> {
        webhook::parse(&self.cfg.secret, self.cfg.ip_allowlist.as_deref(), req)
    }

    fn render_reply(&self, ctrl: &CallControl) -> RenderedReply {
        render_reply(ctrl)
    }
}

/// JSON reply for NOTIFY_START / NOTIFY_IVR (spec 4). `blacklist` wins; `return_timeout`
/// only accompanies a redirect; nothing to say → `{}` (PBX continues its own scenario).
pub fn render_reply(ctrl: &CallControl) -> RenderedReply {
    let mut obj = serde_json::Map::new();
    if ctrl.blacklist {
        obj.insert("redirect".into(), Value::from("blacklist"));
    } else {
        if let Some(ext) = ctrl
            .redirect_extension
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            obj.insert("redirect".into(), Value::from(ext));
            if let Some(t) = ctrl.return_timeout_s {
                obj.insert("return_timeout".into(), Value::from(t));
            }
        }
        if let Some(name) = ctrl
            .caller_name
            .as_deref()
            .map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>())
            .filter(|n| !n.trim().is_empty())
        {
            obj.insert("caller_name".into(), Value::from(name.trim()));
        }
    }
    RenderedReply {
        content_type: "application/json",
        body: Value::Object(obj).to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn replies() {
        let r = render_reply(&CallControl::default());
        assert_eq!(r.body, "{}");
        assert_eq!(r.content_type, "application/json");
        let r = render_reply(&CallControl {
            redirect_extension: Some("101".into()),
            return_timeout_s: Some(20),
            caller_name: Some("Acme SL".into()),
            blacklist: false,
        });
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"redirect":"101","return_timeout":20,"caller_name":"Acme SL"})
        );
        let r = render_reply(&CallControl {
            redirect_extension: Some("101".into()),
            blacklist: true,
            ..Default::default()
        });
        assert_eq!(r.body, r#"{"redirect":"blacklist"}"#);
        let r = render_reply(&CallControl {
            caller_name: Some("IBM".into()),
            return_timeout_s: Some(5),
            ..Default::default()
        });
        assert_eq!(r.body, r#"{"caller_name":"IBM"}"#);
    }

    #[test]
    fn interpret_answers() {
        assert!(interpret(200, br#"{"status":"success","balance":"1.5"}"#).is_ok());
        assert_eq!(
            interpret(200, br#"{"status":"error","message":"Not enough money"}"#),
            Err(PbxError::Rejected("Not enough money".into()))
        );
        assert_eq!(
            interpret(200, br#"{"status":"error","message":"Auth error"}"#),
            Err(PbxError::Auth("Auth error".into()))
        );
        assert_eq!(
            interpret(
                400,
                br#"{"status":"error","message":"You exceeded the rate limit"}"#
            ),
            Err(PbxError::RateLimited)
        );
        assert_eq!(interpret(429, b""), Err(PbxError::RateLimited));
        assert!(matches!(
            interpret(502, b"<html>"),
            Err(PbxError::Protocol(_))
        ));
        assert!(matches!(
            interpret(200, b"<html>"),
            Err(PbxError::Protocol(_))
        ));
        assert!(matches!(interpret(404, b"{}"), Err(PbxError::Protocol(_))));
    }

    #[test]
    fn lenient_numbers() {
        assert_eq!(lenient_f64(Some(&serde_json::json!("18.16"))), Some(18.16));
        assert_eq!(lenient_f64(Some(&serde_json::json!(3))), Some(3.0));
        assert_eq!(
            lenient_string(&serde_json::json!(100)).as_deref(),
            Some("100")
        );
        assert_eq!(
            lenient_string(&serde_json::json!("101")).as_deref(),
            Some("101")
        );
    }

    #[test]
    fn config_debug_redacts_secret() {
        let c = ZadarmaConfig::new("k", "s3cr3t");
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert_eq!(default_ip_allowlist().len(), 1);
    }
}
