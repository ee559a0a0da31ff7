use crate::metrics::Metrics;
use sb_service::Ctx;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub ctx: Ctx,
    pub metrics: Arc<Metrics>,
    /// When set (e.g. `https://crm.example.com`), links use it instead of the request's Host.
    pub public_url: Option<String>,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Session cookies are `Secure` even when the public URL is not HTTPS (a TLS proxy
    /// that does not say so).
    pub secure_cookies: bool,
}

impl AppState {
    pub fn new(ctx: Ctx, public_url: Option<String>) -> Self {
        AppState {
            ctx,
            metrics: Arc::new(Metrics::new()),
            public_url,
            body_limit: 2 * 1024 * 1024,
            secure_cookies: false,
        }
    }
}
