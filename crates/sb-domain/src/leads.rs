//! Leads (deals, C5): always in one pipeline and stage, at most one company, any number
//! of contacts of which one is the main contact, custom fields and tags.

use crate::fields::FieldValue;
use crate::pipelines::is_closing;
use crate::{AccountId, CompanyId, ContactId, LeadId, PipelineId, StatusId, UserId};
use serde::{Deserialize, Serialize};

/// Longest lead name, in characters.
pub const MAX_NAME_CHARS: usize = 255;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    pub id: LeadId,
    pub account_id: AccountId,
    pub name: String,
    /// In minor units of the account currency (cents), as every amount in Switchboard;
    /// the Kommo API's integer `price` is converted at the edge.
    pub price: i64,
    pub pipeline_id: PipelineId,
    pub status_id: StatusId,
    /// `None` only for leads still in the incoming stage (C7).
    pub responsible_user_id: Option<UserId>,
    pub company_id: Option<CompanyId>,
    pub loss_reason_id: Option<i64>,
    pub created_by: UserId,
    pub updated_by: UserId,
    pub created_at: i64,
    pub updated_at: i64,
    /// Set when the lead enters Closed-won or Closed-lost, cleared when it leaves them.
    pub closed_at: Option<i64>,
    pub closest_task_at: Option<i64>,
    pub is_deleted: bool,
    pub custom_fields: Vec<FieldValue>,
}

impl Lead {
    pub fn is_closed(&self) -> bool {
        is_closing(self.status_id)
    }

    /// Moves the lead to a stage, keeping `closed_at` consistent: entering won/lost sets
    /// it (unless the lead was already closed), leaving them clears it and the loss reason.
    pub fn move_to(&mut self, pipeline: PipelineId, status: StatusId, now: i64) {
        let was_closed = self.is_closed();
        self.pipeline_id = pipeline;
        self.status_id = status;
        if is_closing(status) {
            if !was_closed || self.closed_at.is_none() {
                self.closed_at = Some(now);
            }
        } else {
            self.closed_at = None;
            self.loss_reason_id = None;
        }
        self.updated_at = now;
    }
}

/// Checks a lead name; returns it trimmed. An empty name is allowed (Kommo names such a
/// lead "Lead #id" when showing it).
pub fn check_name(name: &str) -> Result<String, LeadRuleError> {
    let t = name.trim();
    if t.chars().count() > MAX_NAME_CHARS {
        return Err(LeadRuleError::NameTooLong);
    }
    Ok(t.to_string())
}

/// Checks a price (minor units): never negative.
pub fn check_price(price: i64) -> Result<i64, LeadRuleError> {
    if price < 0 {
        Err(LeadRuleError::NegativePrice)
    } else {
        Ok(price)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeadRuleError {
    #[error("the name is longer than {MAX_NAME_CHARS} characters")]
    NameTooLong,
    #[error("the price is negative")]
    NegativePrice,
}

/// A contact of a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadContact {
    pub lead_id: LeadId,
    pub contact_id: ContactId,
    pub is_main: bool,
}

/// Makes a set of lead contacts well-formed: each contact once (the first mention wins,
/// but a later `is_main` still counts), and exactly one main contact when there are any
/// — the first marked main, else the first one.
pub fn normalise_contacts(items: &[LeadContact]) -> Vec<LeadContact> {
    let mut out: Vec<LeadContact> = Vec::with_capacity(items.len());
    for it in items {
        match out
            .iter_mut()
            .find(|o| o.lead_id == it.lead_id && o.contact_id == it.contact_id)
        {
            Some(o) => o.is_main |= it.is_main,
            None => out.push(*it),
        }
    }
    let main = out.iter().position(|o| o.is_main).unwrap_or(0);
    for (i, o) in out.iter_mut().enumerate() {
        o.is_main = i == main;
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pipelines::{LOST, WON};

    fn lead() -> Lead {
        Lead {
            id: LeadId(1),
            account_id: AccountId(1),
            name: "Deal".into(),
            price: 10_000,
            pipeline_id: PipelineId(7),
            status_id: StatusId(70),
            responsible_user_id: Some(UserId(3)),
            company_id: None,
            loss_reason_id: None,
            created_by: UserId(3),
            updated_by: UserId(3),
            created_at: 1,
            updated_at: 1,
            closed_at: None,
            closest_task_at: None,
            is_deleted: false,
            custom_fields: vec![],
        }
    }

    #[test]
    fn closing_sets_and_reopening_clears_closed_at() {
        let mut l = lead();
        l.move_to(PipelineId(7), StatusId(71), 5);
        assert_eq!((l.closed_at, l.updated_at), (None, 5));
        l.move_to(PipelineId(7), LOST, 10);
        l.loss_reason_id = Some(4);
        assert!(l.is_closed());
        assert_eq!(l.closed_at, Some(10));
        // Lost -> won keeps the original closing time.
        l.move_to(PipelineId(7), WON, 20);
        assert_eq!(l.closed_at, Some(10));
        l.move_to(PipelineId(8), StatusId(80), 30);
        assert_eq!(
            (l.closed_at, l.loss_reason_id, l.pipeline_id),
            (None, None, PipelineId(8))
        );
    }

    #[test]
    fn contacts_have_one_main() {
        let c = |id: i64, main: bool| LeadContact {
            lead_id: LeadId(1),
            contact_id: ContactId(id),
            is_main: main,
        };
        let n = normalise_contacts(&[c(1, false), c(2, true), c(3, true), c(1, false)]);
        assert_eq!(n, vec![c(1, false), c(2, true), c(3, false)]);
        let n = normalise_contacts(&[c(5, false), c(6, false)]);
        assert_eq!(n, vec![c(5, true), c(6, false)]);
        let n = normalise_contacts(&[c(5, false), c(5, true)]);
        assert_eq!(n, vec![c(5, true)]);
        assert!(normalise_contacts(&[]).is_empty());
    }

    #[test]
    fn names_and_prices() {
        assert_eq!(check_name("  Big deal ").unwrap(), "Big deal");
        assert_eq!(
            check_name(&"x".repeat(256)),
            Err(LeadRuleError::NameTooLong)
        );
        assert_eq!(check_price(0), Ok(0));
        assert_eq!(check_price(-1), Err(LeadRuleError::NegativePrice));
    }
}
