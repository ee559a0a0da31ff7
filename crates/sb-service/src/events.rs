//! The activity log (C9, Kommo §10): building events for the changes every use case
//! records (in the transaction of the change), and reading them with the caller's
//! rights — an event is visible when the entity it is about is.

use crate::Page;
use crate::{Actor, Ctx, ServiceError};
use sb_domain::feed::{event_types as et, Event};
use sb_domain::fields::FieldValue;
use sb_domain::{Action, EntityKind, UserId, Visibility};
use sb_store::events::{self, EventFilter};
use sb_store::scope::EntityScopes;
use serde_json::{json, Value};

/// The kinds of event Switchboard records (Kommo §10), typed so a recorder cannot
/// misspell one; [`EventKind::as_str`] is the name stored and shown by the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    LeadAdded,
    LeadDeleted,
    LeadRestored,
    LeadStatusChanged,
    ContactAdded,
    ContactDeleted,
    CompanyAdded,
    CompanyDeleted,
    EntityResponsibleChanged,
    EntityLinked,
    EntityUnlinked,
    IncomingCall,
    OutgoingCall,
    CommonNoteAdded,
    TaskAdded,
    TaskCompleted,
    CustomFieldValueChanged,
    NameFieldChanged,
    SaleFieldChanged,
}

impl EventKind {
    pub const ALL: [EventKind; 19] = [
        EventKind::LeadAdded,
        EventKind::LeadDeleted,
        EventKind::LeadRestored,
        EventKind::LeadStatusChanged,
        EventKind::ContactAdded,
        EventKind::ContactDeleted,
        EventKind::CompanyAdded,
        EventKind::CompanyDeleted,
        EventKind::EntityResponsibleChanged,
        EventKind::EntityLinked,
        EventKind::EntityUnlinked,
        EventKind::IncomingCall,
        EventKind::OutgoingCall,
        EventKind::CommonNoteAdded,
        EventKind::TaskAdded,
        EventKind::TaskCompleted,
        EventKind::CustomFieldValueChanged,
        EventKind::NameFieldChanged,
        EventKind::SaleFieldChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::LeadAdded => et::LEAD_ADDED,
            EventKind::LeadDeleted => et::LEAD_DELETED,
            EventKind::LeadRestored => et::LEAD_RESTORED,
            EventKind::LeadStatusChanged => et::LEAD_STATUS_CHANGED,
            EventKind::ContactAdded => et::CONTACT_ADDED,
            EventKind::CompanyAdded => et::COMPANY_ADDED,
            EventKind::ContactDeleted => et::CONTACT_DELETED,
            EventKind::CompanyDeleted => et::COMPANY_DELETED,
            EventKind::EntityResponsibleChanged => et::ENTITY_RESPONSIBLE_CHANGED,
            EventKind::EntityLinked => et::ENTITY_LINKED,
            EventKind::EntityUnlinked => et::ENTITY_UNLINKED,
            EventKind::IncomingCall => et::INCOMING_CALL,
            EventKind::OutgoingCall => et::OUTGOING_CALL,
            EventKind::CommonNoteAdded => et::COMMON_NOTE_ADDED,
            EventKind::TaskAdded => et::TASK_ADDED,
            EventKind::TaskCompleted => et::TASK_COMPLETED,
            EventKind::CustomFieldValueChanged => et::CUSTOM_FIELD_VALUE_CHANGED,
            EventKind::NameFieldChanged => et::NAME_FIELD_CHANGED,
            EventKind::SaleFieldChanged => et::SALE_FIELD_CHANGED,
        }
    }

    /// The `*_added` event of an entity kind.
    pub fn added(kind: EntityKind) -> EventKind {
        match kind {
            EntityKind::Leads => EventKind::LeadAdded,
            EntityKind::Contacts => EventKind::ContactAdded,
            EntityKind::Companies => EventKind::CompanyAdded,
            EntityKind::Tasks => EventKind::TaskAdded,
        }
    }
}

/// Collects the events of one use case, all for one account and author: a user acting
/// ([`Recorder::new`]) or the system ([`Recorder::system`], for telephony, jobs and
/// automations, which act for no user).
pub struct Recorder<'a> {
    ctx: &'a Ctx,
    account: sb_domain::AccountId,
    by: UserId,
    pub events: Vec<Event>,
}

/// The author of events no user caused (Kommo shows `created_by` 0).
pub const SYSTEM: UserId = UserId(0);

impl<'a> Recorder<'a> {
    pub fn new(ctx: &'a Ctx, actor: &Actor) -> Self {
        Recorder::by(ctx, actor.account.id, actor.user.id)
    }

    /// Events of a system action: no user actor, `created_by` is [`SYSTEM`].
    pub fn system(ctx: &'a Ctx, account: sb_domain::AccountId) -> Self {
        Recorder::by(ctx, account, SYSTEM)
    }

    /// Events written by the system on a user's behalf, without their [`Actor`] (a call
    /// the PBX reports for a manager's extension): `created_by` is that user, or
    /// [`SYSTEM`] when there is none.
    pub fn on_behalf(ctx: &'a Ctx, account: sb_domain::AccountId, user: Option<UserId>) -> Self {
        Recorder::by(ctx, account, user.unwrap_or(SYSTEM))
    }

    fn by(ctx: &'a Ctx, account: sb_domain::AccountId, by: UserId) -> Self {
        Recorder {
            ctx,
            account,
            by,
            events: Vec::new(),
        }
    }

    /// Records one event of a typed kind.
    pub fn record(
        &mut self,
        kind: EventKind,
        entity: EntityKind,
        entity_id: i64,
        before: Value,
        after: Value,
    ) {
        self.push(kind.as_str(), entity, entity_id, before, after);
    }

    fn push(
        &mut self,
        event_type: &str,
        kind: EntityKind,
        entity_id: i64,
        before: Value,
        after: Value,
    ) {
        self.events.push(Event {
            id: self.ctx.next_id(),
            account_id: self.account,
            event_type: event_type.to_string(),
            entity_type: kind,
            entity_id,
            created_by: self.by,
            created_at: self.ctx.now(),
            value_before: before,
            value_after: after,
        });
    }

    pub fn added(&mut self, kind: EntityKind, id: i64, after: Value) {
        self.record(EventKind::added(kind), kind, id, json!([]), after);
    }

    pub fn responsible(
        &mut self,
        kind: EntityKind,
        id: i64,
        before: Option<UserId>,
        after: Option<UserId>,
    ) {
        if before != after {
            self.record(
                EventKind::EntityResponsibleChanged,
                kind,
                id,
                json!([{"responsible_user": {"id": before.map(|u| u.0)}}]),
                json!([{"responsible_user": {"id": after.map(|u| u.0)}}]),
            );
        }
    }

    pub fn name(&mut self, kind: EntityKind, id: i64, before: &str, after: &str) {
        if before != after {
            self.record(
                EventKind::NameFieldChanged,
                kind,
                id,
                json!([{"name_field_value": {"name": before}}]),
                json!([{"name_field_value": {"name": after}}]),
            );
        }
    }

    /// One `custom_field_value_changed` per field whose values differ.
    pub fn fields(
        &mut self,
        kind: EntityKind,
        id: i64,
        before: &[FieldValue],
        after: &[FieldValue],
    ) {
        let mut ids: Vec<sb_domain::FieldId> = before
            .iter()
            .chain(after.iter())
            .map(|f| f.field_id)
            .collect();
        ids.sort();
        ids.dedup();
        for fid in ids {
            let b = before.iter().find(|f| f.field_id == fid);
            let a = after.iter().find(|f| f.field_id == fid);
            let bv = b.map(|f| f.values.clone()).unwrap_or_default();
            let av = a.map(|f| f.values.clone()).unwrap_or_default();
            if bv != av {
                self.record(
                    EventKind::CustomFieldValueChanged,
                    kind,
                    id,
                    json!([{"custom_field_value": {"field_id": fid.0, "values": bv}}]),
                    json!([{"custom_field_value": {"field_id": fid.0, "values": av}}]),
                );
            }
        }
    }

    /// `entity_linked` / `entity_unlinked` on `kind id`, naming the other side.
    pub fn link(&mut self, linked: bool, kind: EntityKind, id: i64, to: EntityKind, to_id: i64) {
        let v = json!([{"link": {"entity": {"id": to_id, "type": to.singular()}}}]);
        if linked {
            self.record(EventKind::EntityLinked, kind, id, json!([]), v);
        } else {
            self.record(EventKind::EntityUnlinked, kind, id, v, json!([]));
        }
    }

    /// Writes the collected events in the caller's transaction.
    pub async fn write(self, tx: &mut sb_store::Tx) -> Result<(), ServiceError> {
        events::append_many(tx, &self.events).await?;
        Ok(())
    }
}

/// What the caller may read of things hanging off entities (notes, events): empty for
/// administrators (no restriction), else one view scope per entity kind.
pub fn view_scopes(actor: &Actor) -> EntityScopes {
    if actor.is_admin() {
        return Vec::new();
    }
    [
        EntityKind::Leads,
        EntityKind::Contacts,
        EntityKind::Companies,
        EntityKind::Tasks,
    ]
    .into_iter()
    .map(|k| (k, actor.visibility(k, Action::View)))
    .collect()
}

#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub page: i64,
    pub limit: i64,
    pub ids: Vec<i64>,
    pub types: Vec<String>,
    /// Any of these entity types (Kommo's `filter[entity][]`).
    pub entities: Vec<EntityKind>,
    pub entity_ids: Vec<i64>,
    pub created_by: Vec<i64>,
    /// Unix seconds.
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
}

/// Events newest first, only about entities the caller may see.
pub async fn list(ctx: &Ctx, actor: &Actor, p: ListParams) -> Result<Page<Event>, ServiceError> {
    let limit = p.limit.clamp(1, crate::cards::MAX_LIMIT);
    let page = p.page.max(1);
    if !p.entity_ids.is_empty() && p.entities.len() != 1 {
        return Err(ServiceError::BadRequest(
            "filter[entity_id] needs filter[entity] with one entity type".into(),
        ));
    }
    let mut scope = view_scopes(actor);
    if !p.entities.is_empty() {
        if actor.is_admin() {
            scope = p.entities.iter().map(|k| (*k, Visibility::All)).collect();
        } else {
            scope.retain(|(kind, _)| p.entities.contains(kind));
        }
    }
    let f = EventFilter {
        ids: p.ids,
        types: p.types,
        entity_type: p
            .entities
            .first()
            .copied()
            .filter(|_| p.entities.len() == 1),
        entity_ids: p.entity_ids,
        created_by: p.created_by,
        created_from: p.created_from.map(|s| s * 1000),
        created_to: p.created_to.map(|s| s * 1000 + 999),
        limit: limit + 1,
        offset: (page - 1) * limit,
        scope,
        ..Default::default()
    };
    let mut c = ctx.db.conn().await?;
    let mut items = events::list(&mut c, actor.account.id, &f).await?;
    let has_next = items.len() as i64 > limit;
    items.truncate(limit as usize);
    Ok(Page {
        items,
        page,
        limit,
        has_next,
    })
}

pub async fn get(ctx: &Ctx, actor: &Actor, id: i64) -> Result<Event, ServiceError> {
    let f = EventFilter {
        ids: vec![id],
        limit: 1,
        scope: view_scopes(actor),
        ..Default::default()
    };
    let mut c = ctx.db.conn().await?;
    events::list(&mut c, actor.account.id, &f)
        .await?
        .pop()
        .ok_or(ServiceError::NotFound)
}

/// Whether the caller may see entity `kind id` (for notes, feeds and links).
pub async fn entity_visible(
    c: &mut impl sb_store::DbConn,
    actor: &Actor,
    kind: EntityKind,
    id: i64,
) -> Result<bool, ServiceError> {
    let vis = actor.visibility(kind, Action::View);
    if vis == Visibility::None {
        return Ok(false);
    }
    let a = actor.account.id;
    Ok(match kind {
        EntityKind::Leads => sb_store::leads::get(c, a, sb_domain::LeadId(id), vis)
            .await?
            .is_some(),
        EntityKind::Contacts => {
            sb_store::cards::get(c, a, sb_domain::entities::CardKind::Contact, id, vis)
                .await?
                .is_some()
        }
        EntityKind::Companies => {
            sb_store::cards::get(c, a, sb_domain::entities::CardKind::Company, id, vis)
                .await?
                .is_some()
        }
        EntityKind::Tasks => sb_store::tasks::get(c, a, sb_domain::TaskId(id), vis)
            .await?
            .is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    #[test]
    fn every_event_kind_has_its_own_stored_name() {
        let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len());
        assert_eq!(EventKind::IncomingCall.as_str(), "incoming_call");
    }
}
