//! What every webhook needs before it touches a call, kept in memory: the integration
//! behind a webhook token with its parsed settings and provider client, the account's
//! country (for parsing numbers), the extension bindings both ways and whether the
//! account blacklists anything at all.
//!
//! Without it each event paid four reads (token, account, extension, blacklist) before
//! its own work; with it a NOTIFY_START costs one indexed phone lookup. Every change made
//! through this service (install, settings, extension binding, blacklist) drops the
//! snapshot at once, here and (through [`super::hub::SharedHub`]) on the other nodes
//! sharing a PostgreSQL database; should that news be lost, they see the change within
//! [`TTL`].

use super::settings::Unreadable;
use super::Settings;
use crate::{Ctx, ServiceError};
use sb_domain::integrations::Integration;
use sb_domain::UserId;
use sb_store::{accounts, blacklist, integrations};
use sb_telephony::PbxProvider;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long a snapshot is trusted when nothing in this process changed it.
pub const TTL: Duration = Duration::from_secs(5);

/// One integration as the webhook path sees it.
pub struct Route {
    pub integration: Integration,
    /// Its settings and provider client, or why its stored settings cannot be read
    /// (its webhooks are then refused: they cannot be verified).
    pub ready: Result<Ready, Unreadable>,
    /// The account's country, for numbers that arrive without a country code.
    pub country: String,
    pub has_blacklist: bool,
    user_by_ext: HashMap<String, UserId>,
    ext_by_user: HashMap<UserId, String>,
    loaded: Instant,
}

/// What a webhook is verified and handled with.
pub struct Ready {
    pub settings: Settings,
    pub provider: Arc<dyn PbxProvider>,
}

impl Route {
    /// Who answers at `extension`.
    pub fn user_for_extension(&self, extension: &str) -> Option<UserId> {
        self.user_by_ext.get(extension).copied()
    }

    /// The extension that rings `user` (routing to the owner).
    pub fn extension_for_user(&self, user: UserId) -> Option<&str> {
        self.ext_by_user.get(&user).map(String::as_str)
    }
}

#[derive(Default)]
pub struct Routes {
    by_token: RwLock<HashMap<String, Arc<Route>>>,
}

impl Routes {
    /// The integration behind a webhook token, or `None` for an unknown token.
    pub async fn get(&self, ctx: &Ctx, token: &str) -> Result<Option<Arc<Route>>, ServiceError> {
        if let Ok(map) = self.by_token.read() {
            if let Some(r) = map.get(token) {
                if r.loaded.elapsed() < TTL {
                    return Ok(Some(r.clone()));
                }
            }
        }
        let Some(route) = load(ctx, token).await? else {
            return Ok(None);
        };
        let route = Arc::new(route);
        if let Ok(mut map) = self.by_token.write() {
            map.insert(token.to_string(), route.clone());
        }
        Ok(Some(route))
    }

    /// How many integrations are held in memory.
    pub fn held(&self) -> usize {
        self.by_token.read().map(|m| m.len()).unwrap_or(0)
    }

    /// Forgets every snapshot; the next webhook reads the database again.
    pub fn invalidate(&self) {
        if let Ok(mut map) = self.by_token.write() {
            map.clear();
        }
    }
}

async fn load(ctx: &Ctx, token: &str) -> Result<Option<Route>, ServiceError> {
    let loaded = Instant::now();
    let mut c = ctx.db.conn().await?;
    let hash = ctx.vault.lookup_hash(token);
    let Some(integration) = integrations::by_webhook_token(&mut c, &hash).await? else {
        return Ok(None);
    };
    let integration = super::at_rest::open(&ctx.vault, integration);
    let account = accounts::get(&mut c, integration.account_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let bindings =
        integrations::list_extensions(&mut c, integration.account_id, integration.id).await?;
    let has_blacklist = blacklist::count(&mut c, integration.account_id).await? > 0;
    drop(c);
    let ready = match Settings::from_json(&integration.settings) {
        Ok(settings) => Ok(Ready {
            provider: ctx.providers.get(&integration, &settings)?,
            settings,
        }),
        Err(e) => Err(e),
    };
    let mut user_by_ext = HashMap::with_capacity(bindings.len());
    let mut ext_by_user = HashMap::with_capacity(bindings.len());
    for b in bindings {
        user_by_ext.insert(b.extension.clone(), b.user_id);
        ext_by_user.insert(b.user_id, b.extension);
    }
    Ok(Some(Route {
        integration,
        ready,
        country: account.country,
        has_blacklist,
        user_by_ext,
        ext_by_user,
        loaded,
    }))
}
