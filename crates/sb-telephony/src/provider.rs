//! The provider abstraction the service layer programs against.

use async_trait::async_trait;

use crate::error::{PbxError, WebhookError};
use crate::model::{Balance, CallControl, InboundOutcome, InboundRequest, RenderedReply};

/// One configured PBX account. Implementations hold their own HTTP client and secrets.
#[async_trait]
pub trait PbxProvider: Send + Sync {
    /// Short stable provider name, e.g. `"zadarma"`.
    fn kind(&self) -> &'static str;

    async fn balance(&self) -> Result<Balance, PbxError>;

    /// Extension numbers of the PBX (for the user ↔ extension mapping).
    async fn extensions(&self) -> Result<Vec<String>, PbxError>;

    /// Ring `from_extension` first, then bridge to `to_number` (non-digits are stripped).
    async fn click_to_call(&self, from_extension: &str, to_number: &str) -> Result<(), PbxError>;

    /// Download links for a call's recordings: by `recording_id` when known (one link),
    /// otherwise by `provider_call_id` (possibly several).
    async fn recording_links(
        &self,
        provider_call_id: &str,
        recording_id: Option<&str>,
    ) -> Result<Vec<String>, PbxError>;

    /// Fetch a recording (bounded size).
    async fn download(&self, url: &str) -> Result<bytes::Bytes, PbxError>;

    /// Verify and parse an inbound webhook. Pure: no I/O.
    fn parse_webhook(&self, req: &InboundRequest<'_>) -> Result<InboundOutcome, WebhookError>;

    /// Body to answer a call-start event with.
    fn render_reply(&self, ctrl: &CallControl) -> RenderedReply;
}
