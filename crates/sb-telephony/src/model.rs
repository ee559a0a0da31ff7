//! Provider-agnostic call model: what a PBX tells us about a call, what we can tell it
//! back, and a few small helpers (digits, CIDR allow lists).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// Which way the call goes, seen from our side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

/// How a call ended. Parsed leniently: unknown provider values land in `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Disposition {
    Answered,
    Busy,
    /// The caller hung up before anyone answered.
    Cancel,
    NoAnswer,
    Failed,
    NoMoney,
    Unallocated,
    /// Anything else (limits, future values), lowercased and trimmed.
    Other(String),
}

impl Disposition {
    /// Maps Zadarma's `disposition` (webhooks and statistics). Never panics.
    pub fn from_zadarma(s: &str) -> Self {
        let v = s.trim().to_ascii_lowercase();
        match v.as_str() {
            "answered" => Disposition::Answered,
            "busy" => Disposition::Busy,
            "cancel" | "canceled" | "cancelled" => Disposition::Cancel,
            "no answer" | "no answered" | "noanswer" | "no_answer" => Disposition::NoAnswer,
            "failed" | "call failed" => Disposition::Failed,
            "no money" => Disposition::NoMoney,
            "unallocated number" | "unallocated" => Disposition::Unallocated,
            _ => Disposition::Other(v),
        }
    }

    /// Only `Answered` counts as answered; everything else is a missed/failed call.
    pub fn is_answered(&self) -> bool {
        matches!(self, Disposition::Answered)
    }

    /// Stable lowercase name (for storage). `Other` returns its own value.
    pub fn as_str(&self) -> &str {
        match self {
            Disposition::Answered => "answered",
            Disposition::Busy => "busy",
            Disposition::Cancel => "cancel",
            Disposition::NoAnswer => "no_answer",
            Disposition::Failed => "failed",
            Disposition::NoMoney => "no_money",
            Disposition::Unallocated => "unallocated",
            Disposition::Other(s) => s,
        }
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The call events we understand (Zadarma `NOTIFY_*` names, without the prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallEventKind {
    Start,
    Internal,
    Answer,
    End,
    OutStart,
    OutEnd,
    Record,
    Ivr,
    InternalEnd,
}

impl CallEventKind {
    /// Zadarma event name, e.g. `NOTIFY_START`.
    pub fn zadarma_name(self) -> &'static str {
        match self {
            CallEventKind::Start => "NOTIFY_START",
            CallEventKind::Internal => "NOTIFY_INTERNAL",
            CallEventKind::Answer => "NOTIFY_ANSWER",
            CallEventKind::End => "NOTIFY_END",
            CallEventKind::OutStart => "NOTIFY_OUT_START",
            CallEventKind::OutEnd => "NOTIFY_OUT_END",
            CallEventKind::Record => "NOTIFY_RECORD",
            CallEventKind::Ivr => "NOTIFY_IVR",
            CallEventKind::InternalEnd => "NOTIFY_INTERNAL_END",
        }
    }

    pub fn from_zadarma(name: &str) -> Option<Self> {
        Some(match name {
            "NOTIFY_START" => CallEventKind::Start,
            "NOTIFY_INTERNAL" => CallEventKind::Internal,
            "NOTIFY_ANSWER" => CallEventKind::Answer,
            "NOTIFY_END" => CallEventKind::End,
            "NOTIFY_OUT_START" => CallEventKind::OutStart,
            "NOTIFY_OUT_END" => CallEventKind::OutEnd,
            "NOTIFY_RECORD" => CallEventKind::Record,
            "NOTIFY_IVR" => CallEventKind::Ivr,
            "NOTIFY_INTERNAL_END" => CallEventKind::InternalEnd,
            _ => return None,
        })
    }

    /// Only these events honour a control reply ([`CallControl`]).
    pub fn accepts_reply(self) -> bool {
        matches!(self, CallEventKind::Start | CallEventKind::Ivr)
    }
}

/// One verified call event, normalised across providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    pub kind: CallEventKind,
    /// Provider's permanent call id (Zadarma `pbx_call_id`), shared by all events of a call.
    pub provider_call_id: String,
    pub direction: Direction,
    /// The outside party: inbound `caller_id`, outbound `destination`. As given ('+' kept).
    pub customer_number: Option<String>,
    /// Our side: inbound `called_did`, outbound presented `caller_id` (if sent).
    pub our_number: Option<String>,
    /// Extension involved: `internal` (INTERNAL, OUT_*), answering `destination` (inbound
    /// ANSWER), `last_internal` or `internal` (END).
    pub extension: Option<String>,
    /// Raw cabinet-local `YYYY-MM-DD HH:MM:SS` (no offset; convert with the cabinet timezone).
    pub call_start: Option<String>,
    pub duration_s: Option<i64>,
    pub disposition: Option<Disposition>,
    pub status_code: Option<String>,
    pub is_recorded: bool,
    /// Zadarma `call_id_with_rec`; `None` when empty.
    pub recording_id: Option<String>,
    /// Natural key for idempotent storage; a retried delivery yields the same key.
    pub dedup_key: String,
    /// Every decoded form field, in arrival order (for raw storage).
    pub fields: Vec<(String, String)>,
}

/// A raw inbound HTTP request as the web layer sees it (no framework types).
#[derive(Debug, Clone, Copy)]
pub struct InboundRequest<'a> {
    pub method: &'a str,
    /// Raw query string without `?`.
    pub query: Option<&'a str>,
    /// Header names must be lowercase.
    pub headers: &'a [(String, String)],
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    /// Peer address (already resolved from a trusted proxy hop by the caller).
    pub remote_ip: Option<IpAddr>,
}

impl InboundRequest<'_> {
    /// First header with that (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What an inbound webhook turned out to be.
// One value per request, moved once: boxing `CallEvent` would only add friction.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundOutcome {
    /// URL validation: answer 200 `text/plain` with exactly this value.
    Echo(String),
    /// A verified call event.
    Event(CallEvent),
    /// Any other event (SMS, NUMBER_LOOKUP, SPEECH_RECOGNITION, unknown): answer 200, log/store.
    /// `verified` says whether a signature was checked and matched; never act on
    /// unverified ones beyond storing them.
    OtherEvent {
        name: String,
        fields: Vec<(String, String)>,
        verified: bool,
    },
}

/// Routing decision for a call-start reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallControl {
    /// Extension (or provider target such as `0-1`) to send the call to.
    pub redirect_extension: Option<String>,
    /// Reject the call (caller hears busy). Overrides everything else.
    pub blacklist: bool,
    /// Name shown on the extension's phone (Latin text).
    pub caller_name: Option<String>,
    /// Ring the target this long, then fall back to the menu (0 = never). Only with a redirect.
    pub return_timeout_s: Option<u32>,
}

/// HTTP body to send back to the PBX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedReply {
    pub content_type: &'static str,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Balance {
    pub amount: f64,
    pub currency: String,
}

/// Keeps ASCII digits only (what PHP `filterNumber` does: `+34 (91) 123-45` → `349112345`).
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// An IP network (`185.45.152.40/30`, `2001:db8::/32`, or a bare address = host route).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpCidr {
    addr: IpAddr,
    prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CIDR {0:?}")]
pub struct CidrParseError(pub String);

impl IpCidr {
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, CidrParseError> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(CidrParseError(format!("{addr}/{prefix}")));
        }
        Ok(Self { addr, prefix })
    }

    /// IPv4-mapped IPv6 peers (`::ffff:a.b.c.d`) are matched as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical_ip(ip);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpCidr {
    type Err = CidrParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || CidrParseError(s.to_string());
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (
                a.parse::<IpAddr>().map_err(|_| err())?,
                Some(p.parse::<u8>().map_err(|_| err())?),
            ),
            None => (s.parse::<IpAddr>().map_err(|_| err())?, None),
        };
        let addr = canonical_ip(addr);
        let prefix = prefix.unwrap_or(if addr.is_ipv4() { 32 } else { 128 });
        IpCidr::new(addr, prefix).map_err(|_| err())
    }
}

impl fmt::Display for IpCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

pub(crate) fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn disposition_lenient() {
        assert_eq!(Disposition::from_zadarma("answered"), Disposition::Answered);
        assert_eq!(
            Disposition::from_zadarma(" No Answer "),
            Disposition::NoAnswer
        );
        assert_eq!(
            Disposition::from_zadarma("call failed"),
            Disposition::Failed
        );
        assert_eq!(
            Disposition::from_zadarma("unallocated number"),
            Disposition::Unallocated
        );
        let o = Disposition::from_zadarma("no day limit");
        assert_eq!(o, Disposition::Other("no day limit".into()));
        assert!(!o.is_answered());
        assert_eq!(Disposition::from_zadarma("").as_str(), "");
        assert!(Disposition::from_zadarma("ANSWERED").is_answered());
    }

    #[test]
    fn digits_only() {
        assert_eq!(digits("+34 (91) 123-45-67"), "34911234567");
        assert_eq!(digits("ñ١٢"), "");
    }

    #[test]
    fn cidr() {
        let n: IpCidr = "185.45.152.40/30".parse().unwrap();
        assert!(n.contains("185.45.152.42".parse().unwrap()));
        assert!(n.contains("185.45.152.43".parse().unwrap()));
        assert!(!n.contains("185.45.152.44".parse().unwrap()));
        assert!(n.contains("::ffff:185.45.152.40".parse().unwrap()));
        let h: IpCidr = "185.45.152.42".parse().unwrap();
        assert!(h.contains("185.45.152.42".parse().unwrap()));
        assert!(!h.contains("185.45.152.41".parse().unwrap()));
        let all: IpCidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        let v6: IpCidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        assert!("1.2.3.4/33".parse::<IpCidr>().is_err());
        assert!("nope".parse::<IpCidr>().is_err());
    }
}
