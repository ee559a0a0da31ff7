//! The feed of an entity (Kommo §8-10): notes (call records among them), tasks (the
//! call-back after a missed call among them) and the append-only event log that every
//! change writes in its own transaction.

use crate::{AccountId, EntityKind, NoteId, TaskId, UserId};
use serde_json::Value;

/// Reads an entity type as stored (`leads`) or as Kommo's events name it (`lead`).
pub fn parse_entity_kind(s: &str) -> Option<EntityKind> {
    match s {
        "leads" | "lead" => Some(EntityKind::Leads),
        "contacts" | "contact" => Some(EntityKind::Contacts),
        "companies" | "company" => Some(EntityKind::Companies),
        "tasks" | "task" => Some(EntityKind::Tasks),
        _ => None,
    }
}

/// Note types Switchboard writes itself; any other Kommo type is stored as given.
pub mod note_types {
    pub const COMMON: &str = "common";
    pub const CALL_IN: &str = "call_in";
    pub const CALL_OUT: &str = "call_out";
    pub const SERVICE_MESSAGE: &str = "service_message";
    pub const SMS_IN: &str = "sms_in";
    pub const SMS_OUT: &str = "sms_out";
}

/// A note on a lead, contact or company. `params` is the type's JSON object (for calls:
/// `uniq, duration, source, link, phone, call_status, call_result, call_responsible`).
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub id: NoteId,
    pub account_id: AccountId,
    pub entity_type: EntityKind,
    pub entity_id: i64,
    pub note_type: String,
    pub params: Value,
    /// `UserId(0)` when written by the system (Kommo's "robot").
    pub created_by: UserId,
    pub updated_by: UserId,
    pub responsible_user_id: Option<UserId>,
    pub created_at: i64,
    pub updated_at: i64,
    pub is_pinned: bool,
}

/// Kommo's built-in task types; accounts may add their own ids.
pub mod task_types {
    /// "Follow-up" (formerly "call").
    pub const FOLLOW_UP: i64 = 1;
    pub const MEETING: i64 = 2;
}

/// A task type: one of the two built-in ones or an account's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskType {
    pub id: i64,
    pub name: String,
    /// Six upper-case hex digits, no `#` (as tag colors).
    pub color: Option<String>,
    pub icon_id: Option<i64>,
    /// `FOLLOW_UP` / `MEETING` for the built-in ones, `None` for an account's own.
    pub code: Option<String>,
}

impl TaskType {
    /// The built-in types every account has.
    pub fn builtin() -> [TaskType; 2] {
        [
            TaskType {
                id: task_types::FOLLOW_UP,
                name: "Follow-up".into(),
                color: None,
                icon_id: None,
                code: Some("FOLLOW_UP".into()),
            },
            TaskType {
                id: task_types::MEETING,
                name: "Meeting".into(),
                color: None,
                icon_id: None,
                code: Some("MEETING".into()),
            },
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: TaskId,
    pub account_id: AccountId,
    pub responsible_user_id: UserId,
    /// The entity the task is about, if any.
    pub entity_type: Option<EntityKind>,
    pub entity_id: Option<i64>,
    pub task_type_id: i64,
    pub text: String,
    /// Deadline, Unix ms.
    pub complete_till: i64,
    pub is_completed: bool,
    /// Kommo's `result.text`, written when the task is completed.
    pub result_text: Option<String>,
    /// Seconds (meetings).
    pub duration: i64,
    /// The customer number a call-back task is for (E.164 when known), so a repeated
    /// missed call finds the open task instead of creating another.
    pub phone_e164: Option<String>,
    pub created_by: UserId,
    pub updated_by: UserId,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Event types Switchboard emits (Kommo §10).
pub mod event_types {
    pub const LEAD_ADDED: &str = "lead_added";
    pub const LEAD_DELETED: &str = "lead_deleted";
    pub const LEAD_RESTORED: &str = "lead_restored";
    pub const LEAD_STATUS_CHANGED: &str = "lead_status_changed";
    pub const CONTACT_ADDED: &str = "contact_added";
    pub const CONTACT_DELETED: &str = "contact_deleted";
    pub const COMPANY_ADDED: &str = "company_added";
    pub const COMPANY_DELETED: &str = "company_deleted";
    pub const ENTITY_RESPONSIBLE_CHANGED: &str = "entity_responsible_changed";
    pub const ENTITY_LINKED: &str = "entity_linked";
    pub const ENTITY_UNLINKED: &str = "entity_unlinked";
    pub const INCOMING_CALL: &str = "incoming_call";
    pub const OUTGOING_CALL: &str = "outgoing_call";
    pub const COMMON_NOTE_ADDED: &str = "common_note_added";
    pub const TASK_ADDED: &str = "task_added";
    pub const TASK_COMPLETED: &str = "task_completed";
    pub const CUSTOM_FIELD_VALUE_CHANGED: &str = "custom_field_value_changed";
    pub const NAME_FIELD_CHANGED: &str = "name_field_changed";
    pub const SALE_FIELD_CHANGED: &str = "sale_field_changed";
}

/// One entry of the activity log. Ids come from [`crate::next_id`], so they increase
/// with time and give the log its order; the Kommo API shows them as strings.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: i64,
    pub account_id: AccountId,
    pub event_type: String,
    pub entity_type: EntityKind,
    pub entity_id: i64,
    /// `UserId(0)` for the system.
    pub created_by: UserId,
    pub created_at: i64,
    /// Kommo's `value_before` / `value_after` arrays, as JSON.
    pub value_before: Value,
    pub value_after: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_kinds_parse_plural_and_singular() {
        for k in [
            EntityKind::Leads,
            EntityKind::Contacts,
            EntityKind::Companies,
            EntityKind::Tasks,
        ] {
            assert_eq!(parse_entity_kind(k.as_str()), Some(k));
            assert_eq!(parse_entity_kind(k.singular()), Some(k));
        }
        assert_eq!(parse_entity_kind("customers"), None);
    }
}
