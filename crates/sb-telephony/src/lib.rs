//! Telephony layer of Switchboard: the provider-agnostic call model ([`CallEvent`],
//! [`CallControl`], …), the [`PbxProvider`] trait the service layer programs against, and
//! the providers themselves (today [`zadarma`]): signed outbound REST clients, inbound
//! webhook parsing and signature verification, call-control reply rendering.
//! It must not import sqlx, axum or any storage/web crate: it sees raw HTTP pieces
//! ([`InboundRequest`]) and returns plain values; persistence and routing decisions live
//! in `sb-service`, HTTP plumbing in `sb-web`.
//!
//! # Public API
//!
//! ```text
//! model:   enum Direction { Inbound, Outbound }                        .as_str()
//!          enum Disposition { Answered, Busy, Cancel, NoAnswer, Failed, NoMoney,
//!                             Unallocated, Other(String) }
//!                   ::from_zadarma(&str) (lenient) .is_answered() .as_str()
//!          enum CallEventKind { Start, Internal, Answer, End, OutStart, OutEnd, Record,
//!                               Ivr, InternalEnd }  ::from_zadarma .zadarma_name .accepts_reply
//!          struct CallEvent { kind, provider_call_id, direction, customer_number,
//!                             our_number, extension, call_start, duration_s, disposition,
//!                             status_code, is_recorded, recording_id, dedup_key, fields }
//!          struct InboundRequest<'a> { method, query, headers (lowercase names),
//!                                      content_type, body, remote_ip }  .header(name)
//!          enum InboundOutcome { Echo(String), Event(CallEvent),
//!                                OtherEvent { name, fields, verified: bool } }
//!          struct CallControl { redirect_extension, blacklist, caller_name, return_timeout_s }
//!          struct RenderedReply { content_type: &'static str, body: String }
//!          struct Balance { amount: f64, currency: String }
//!          struct IpCidr (FromStr "a.b.c.d/n", .contains(IpAddr))
//!          fn digits(&str) -> String
//! error:   enum WebhookError { MissingSignature, BadSignature, ForbiddenSource(IpAddr),
//!                              Malformed(String) }  .http_status() 401/401/403/400
//!          enum PbxError { Auth, Rejected, RateLimited, Unreachable, Timeout, Protocol }
//!                   .is_transient()
//! trait PbxProvider: kind, balance, extensions, click_to_call, recording_links,
//!                    download, parse_webhook, render_reply
//! zadarma: struct ZadarmaConfig { key, secret, base_url, timeout, ip_allowlist,
//!                                 max_download_bytes }  ::new(key, secret)
//!          struct Zadarma ::new(cfg) -> Result<Zadarma, PbxError>;  impl PbxProvider
//!                 .api_get(method, params) / .api_post(method, params) -> Result<Value, PbxError>
//!          fn sign_request(key, secret, method_path, &[(&str,&str)]) -> (params_str, auth)
//!          fn webhook_signature(secret, signed_string) -> String
//!          fn php_urlencode(&str) -> String;  fn params_string(..) -> String
//!          fn render_reply(&CallControl) -> RenderedReply;  fn default_ip_allowlist()
//! ```
//!
//! Webhook handling in the web layer: `parse_webhook` → `Echo(v)`: 200 `text/plain` `v`;
//! `Event(e)`: store by `e.dedup_key` (insert-or-ignore), and for
//! `e.kind.accepts_reply()` answer with `render_reply`; `OtherEvent`: 200, store/log;
//! `Err(e)`: `e.http_status()` (Zadarma retries non-2xx, so only refuse real failures).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod error;
pub mod model;
pub mod provider;
pub mod zadarma;

pub use error::{PbxError, WebhookError};
pub use model::{
    digits, Balance, CallControl, CallEvent, CallEventKind, Direction, Disposition, InboundOutcome,
    InboundRequest, IpCidr, RenderedReply,
};
pub use provider::PbxProvider;
