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

/// An integration's stored settings cannot be read. Never replaced by defaults: those
/// have an empty secret, against which webhook signatures would be checked and with
/// which calls would be placed. The reason names what is wrong, never a key or secret.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the integration's stored settings cannot be read: {0}")]
pub struct Unreadable(String);

impl Unreadable {
    /// The alert code the API shows with the integration.
    pub const CODE: &'static str = "settings_unreadable";

    /// What admins are told, with what to do about it.
    pub fn message(&self) -> String {
        format!(
            "The stored settings of this integration cannot be read ({}). Until an admin saves them again (with the key and secret), its webhooks are refused so that the PBX delivers them again later, and no call can be placed through it.",
            self.0
        )
    }
}

impl Settings {
    /// Reads stored settings; fields left out take their defaults, but anything present
    /// must be right.
    pub fn from_json(v: &serde_json::Value) -> Result<Settings, Unreadable> {
        let Some(o) = v.as_object() else {
            return Err(Unreadable("they are not a JSON object".into()));
        };
        // Secrets that did not decrypt (another key): said as such, not as a missing secret.
        if let Some(serde_json::Value::String(why)) = o.get(super::at_rest::UNREADABLE) {
            return Err(Unreadable(why.clone()));
        }
        // Checked first so that serde's message, which quotes the wrong value, never
        // carries a credential into a log line or an alert.
        // A missing or empty secret is no default either: signatures made with an empty
        // key are ones anybody can make.
        for name in ["key", "secret"] {
            match o.get(name) {
                Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {}
                Some(serde_json::Value::String(_)) | None => {
                    return Err(Unreadable(format!("the {name} is missing")))
                }
                Some(_) => return Err(Unreadable(format!("the {name} is not a string"))),
            }
        }
        serde_json::from_value(v.clone()).map_err(|e| Unreadable(e.to_string()))
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::Settings;
    use serde_json::json;

    #[test]
    fn unreadable_settings_are_an_error_never_the_defaults() {
        assert!(Settings::from_json(&json!({"key": "k", "secret": "s"})).is_ok());
        for bad in [
            json!(null),
            json!("text"),
            json!({"key": "k", "secret": 12345}),
            json!({"key": "k"}),
            json!({"key": "k", "secret": ""}),
            json!({}),
            json!({"key": "k", "secret": "s", "return_timeout_s": "soon"}),
            json!({"key": "k", "secret": "s", "auto_create": "everything"}),
        ] {
            let e = Settings::from_json(&bad).unwrap_err();
            assert!(!e.to_string().contains("12345"), "{e}");
        }
    }
}
