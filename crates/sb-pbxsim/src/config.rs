use std::str::FromStr;
use std::time::Duration;

/// How the simulated REST API misbehaves (switchable at run time with
/// [`crate::PbxSim::set_failure`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FailureMode {
    /// Everything works.
    #[default]
    None,
    /// `/v1/request/callback/` and `/v1/sms/send/` answer "not enough money".
    NoMoney,
    /// `/v1/request/callback/` answers "wrong number" whatever `to` is.
    WrongNumber,
    /// Every `/v1/` method answers HTTP 500.
    ServerError,
    /// Every `/v1/` answer is delayed this long.
    Slow(Duration),
}

impl FromStr for FailureMode {
    type Err = String;

    /// `none`, `no_money`, `wrong_number`, `server_error`, `slow:<millis>`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Self::None),
            "no_money" => Ok(Self::NoMoney),
            "wrong_number" => Ok(Self::WrongNumber),
            "server_error" => Ok(Self::ServerError),
            other => other
                .strip_prefix("slow:")
                .and_then(|ms| ms.parse::<u64>().ok())
                .map(|ms| Self::Slow(Duration::from_millis(ms)))
                .ok_or_else(|| {
                    format!(
                        "unknown failure mode {other:?} \
                         (none, no_money, wrong_number, server_error, slow:<ms>)"
                    )
                }),
        }
    }
}

/// Everything the simulated cabinet knows.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// API user key (the part before `:` in `Authorization`).
    pub key: String,
    /// API secret: signs REST requests and webhooks.
    pub secret: String,
    /// PBX extensions, e.g. `"100"`, `"101"`.
    pub extensions: Vec<String>,
    pub balance: f64,
    pub currency: String,
    pub failure: FailureMode,
    /// Where NOTIFY_* webhooks go (also settable by `/v1/pbx/callinfo/url/`).
    pub webhook_url: Option<String>,
    /// Whether answered calls are recorded (NOTIFY_RECORD + downloadable file).
    pub recordings: bool,
    pub pbx_id: u64,
    /// Our DID: `called_did` of incoming calls, presented CallerID of outgoing ones.
    pub did: String,
    /// Cabinet timezone; `call_start` and `/v1/info/timezone/` use it.
    pub utc_offset_minutes: i32,
    /// Per-webhook HTTP timeout (also bounds the `zd_echo` check).
    pub webhook_timeout: Duration,
    /// Talk time reported for calls started by `/v1/request/callback/`.
    pub callback_talk_seconds: u32,
}

impl Default for SimConfig {
    /// The spec's made-up test credentials (section 1.3) and extensions 100–102.
    fn default() -> Self {
        Self {
            key: "a1b2c3d4e5f6a7b8c9d0".to_owned(),
            secret: "0123456789abcdefABCD".to_owned(),
            extensions: vec!["100".to_owned(), "101".to_owned(), "102".to_owned()],
            balance: 18.1636,
            currency: "EUR".to_owned(),
            failure: FailureMode::None,
            webhook_url: None,
            recordings: true,
            pbx_id: 453_101,
            did: "34911234567".to_owned(),
            utc_offset_minutes: 0,
            webhook_timeout: Duration::from_secs(5),
            callback_talk_seconds: 30,
        }
    }
}
