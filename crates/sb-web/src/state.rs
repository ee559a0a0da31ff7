/// The request limits, part of the state every route sees.
pub mod limits;

use crate::metrics::Metrics;
use limits::{Limits, Sockets};
use sb_service::Ctx;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub ctx: Ctx,
    pub metrics: Arc<Metrics>,
    /// When set (e.g. `https://crm.example.com`), links use it instead of the request's Host.
    pub public_url: Option<String>,
    /// Request body, address and live socket limits.
    pub limits: Limits,
    /// The live sockets open (counted against `limits`).
    pub sockets: Arc<Sockets>,
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
            limits: Limits::default(),
            sockets: Arc::new(Sockets::default()),
            secure_cookies: false,
        }
    }
}
