//! Integrations as they are stored: the secret fields of the settings sealed with the
//! configured key, the webhook token replaced by its keyed hash (what webhooks are looked
//! up by) with a sealed copy beside it for the URL shown to admins. Everything above this
//! module sees integrations in clear; the store only ever sees them sealed.

use crate::crypto::{OpenError, Vault};
use crate::{Ctx, ServiceError};
use sb_domain::integrations::Integration;
use sb_store::integrations;
use serde_json::Value;

/// Set by [`open`] on an integration whose secrets do not open; [`super::Settings::from_json`]
/// reports it, so the integration shows an alert and refuses webhooks and calls (it is
/// never run with an empty secret).
pub(crate) const UNREADABLE: &str = "_unreadable";
/// The settings fields that are sealed. `key` is not: it is an account name at the PBX,
/// shown to admins on the settings page, and useless without the secret.
const SEALED_FIELDS: &[&str] = &["secret", "password"];

/// Where a value is sealed for: the row and the field, so that it opens nowhere else.
fn place(i: &Integration, field: &str) -> String {
    format!(
        "switchboard/integrations/{}/{}/{field}",
        i.account_id.0, i.id.0
    )
}

/// The integration as it is written to the store.
pub(crate) fn seal(v: &Vault, i: &Integration) -> Integration {
    let mut s = i.clone();
    if let Some(o) = s.settings.as_object_mut() {
        o.remove(UNREADABLE);
        for f in SEALED_FIELDS {
            if let Some(Value::String(p)) = o.get_mut(*f) {
                if !p.is_empty() {
                    *p = v.seal(p, &place(i, f));
                }
            }
        }
    }
    s.webhook_token = v.lookup_hash(&i.webhook_token);
    s.webhook_token_sealed = v.seal(&i.webhook_token, &place(i, "webhook_token"));
    s
}

/// The integration as read from the store, in clear. Secrets that do not open are
/// emptied and the settings marked [`UNREADABLE`]; never an error, so that one such
/// integration does not hide the others from the admin who has to fix it. A row written
/// before secrets were encrypted is read as it is (and sealed at the next start).
pub(crate) fn open(v: &Vault, mut i: Integration) -> Integration {
    let mut problem: Option<OpenError> = None;
    if !i.webhook_token_sealed.is_empty() {
        match v.open(&i.webhook_token_sealed, &place(&i, "webhook_token")) {
            Ok(t) => i.webhook_token = t,
            Err(e) => {
                // The hash stays: saving the settings again keeps the URL's row, and a
                // new token is drawn (the PBX is then given the new URL).
                i.webhook_token.clear();
                problem = Some(e);
            }
        }
        i.webhook_token_sealed.clear();
    }
    let places: Vec<(&str, String)> = SEALED_FIELDS.iter().map(|f| (*f, place(&i, f))).collect();
    let Some(o) = i.settings.as_object_mut() else {
        return i;
    };
    for (f, at) in &places {
        if let Some(Value::String(s)) = o.get_mut(*f) {
            if Vault::is_sealed(s) {
                match v.open(s, at) {
                    Ok(p) => *s = p,
                    Err(e) => {
                        s.clear();
                        problem.get_or_insert(e);
                    }
                }
            }
        }
    }
    if let Some(e) = problem {
        o.insert(UNREADABLE.into(), Value::String(format!("its secret {e}")));
    }
    i
}

/// Whether a stored row still holds a secret in clear.
fn in_clear(i: &Integration) -> bool {
    if !Vault::is_lookup_hash(&i.webhook_token) || i.webhook_token_sealed.is_empty() {
        return true;
    }
    let Some(o) = i.settings.as_object() else {
        return false;
    };
    SEALED_FIELDS.iter().any(
        |f| matches!(o.get(*f), Some(Value::String(s)) if !s.is_empty() && !Vault::is_sealed(s)),
    )
}

/// Seals the secrets of integrations stored before they were encrypted (run at start,
/// before serving). Idempotent: sealed rows are left alone, and so are rows sealed with
/// another key, which are never rewritten. Returns how many rows it sealed.
pub async fn seal_stored(ctx: &Ctx) -> Result<usize, ServiceError> {
    let mut tx = ctx.db.begin().await?;
    let mut sealed = 0;
    for stored in integrations::all_accounts(&mut tx).await? {
        if in_clear(&stored) {
            let clear = open(&ctx.vault, stored);
            integrations::update(&mut tx, &seal(&ctx.vault, &clear)).await?;
            sealed += 1;
        }
    }
    tx.commit().await?;
    if sealed > 0 {
        super::routes_changed(ctx);
    }
    Ok(sealed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::crypto::SecretKey;
    use sb_domain::{AccountId, IntegrationId};
    use serde_json::json;

    fn integration() -> Integration {
        Integration {
            id: IntegrationId(7),
            account_id: AccountId(3),
            provider: "zadarma".into(),
            name: "PBX".into(),
            settings: json!({"key": "k1", "secret": "s3cr3t-value", "route_to_owner": true}),
            webhook_token: "tok-0123456789abcdef".into(),
            webhook_token_sealed: String::new(),
            default_user_id: None,
            is_active: true,
            created_at: 1,
            updated_at: 1,
        }
    }

    #[test]
    fn sealed_integrations_hide_their_secrets_and_open_back() {
        let v = Vault::new(&SecretKey::generate());
        let i = integration();
        let s = seal(&v, &i);
        let text = serde_json::to_string(&s.settings).unwrap()
            + &s.webhook_token
            + &s.webhook_token_sealed;
        assert!(!text.contains("s3cr3t-value") && !text.contains("tok-0123456789abcdef"));
        assert!(!in_clear(&s) && in_clear(&i));
        assert_eq!(open(&v, s.clone()), i);
        // Moved to another row, the sealed secret does not open there.
        let mut moved = s;
        moved.id = IntegrationId(8);
        let o = open(&v, moved);
        assert!(o.settings[UNREADABLE].is_string());
        assert_eq!(o.settings["secret"], "");
    }
}
