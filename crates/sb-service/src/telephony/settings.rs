//! A telephony integration's settings (P2), stored as JSON on the integration.

use serde::{Deserialize, Serialize};

/// P6: what to create for a call from or to an unknown number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AutoCreate {
    /// Nothing: the call stays in the call log only.
    None,
    /// A contact named after the number.
    #[default]
    Contact,
    /// A contact and a lead in the main pipeline's first stage.
    ContactAndLead,
    /// An incoming lead (C7) with the call's metadata, waiting to be accepted.
    IncomingLead,
}

/// P6: at which moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AutoCreateAt {
    /// As soon as the call starts ringing.
    Start,
    /// When the call ends.
    #[default]
    End,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub key: String,
    pub secret: String,
    /// The PBX API base URL (the simulator or a test PBX can stand in).
    pub base_url: String,
    /// Source networks allowed to post webhooks (CIDR); empty = any (signatures are always checked).
    pub ip_allowlist: Vec<String>,
    pub auto_create: AutoCreate,
    pub auto_create_at: AutoCreateAt,
    /// P6 for outgoing calls too.
    pub auto_create_outgoing: bool,
    /// P7: send a known caller straight to the responsible manager's extension.
    pub route_to_owner: bool,
    /// How long to ring the manager before the PBX's own scenario takes over (s).
    pub return_timeout_s: u32,
    /// P8: show the caller's name (in Latin letters) on the manager's phone.
    pub show_caller_name: bool,
    /// P9: a call-back task for missed incoming calls.
    pub missed_call_tasks: bool,
    /// P10: reject calls from blacklisted numbers.
    pub blacklist: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            key: String::new(),
            secret: String::new(),
            base_url: sb_telephony::zadarma::DEFAULT_BASE_URL.to_string(),
            ip_allowlist: Vec::new(),
            auto_create: AutoCreate::Contact,
            auto_create_at: AutoCreateAt::End,
            auto_create_outgoing: false,
            route_to_owner: true,
            return_timeout_s: 20,
            show_caller_name: true,
            missed_call_tasks: true,
            blacklist: true,
        }
    }
}

impl Settings {
    pub fn from_json(v: &serde_json::Value) -> Settings {
        serde_json::from_value(v.clone()).unwrap_or_default()
    }

    /// The settings as shown to admins: everything but the secret.
    pub fn public(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("secret");
        }
        v
    }
}
