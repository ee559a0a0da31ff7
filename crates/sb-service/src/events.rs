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

/// Collects the events of one use case, all for one account and author.
pub struct Recorder<'a> {
    ctx: &'a Ctx,
    account: sb_domain::AccountId,
    by: UserId,
    pub events: Vec<Event>,
}

impl<'a> Recorder<'a> {
    pub fn new(ctx: &'a Ctx, actor: &Actor) -> Self {
        Recorder {
            ctx,
            account: actor.account.id,
            by: actor.user.id,
            events: Vec::new(),
        }
    }

    pub fn push(
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
        let t = match kind {
            EntityKind::Leads => et::LEAD_ADDED,
            EntityKind::Contacts => et::CONTACT_ADDED,
            EntityKind::Companies => et::COMPANY_ADDED,
            EntityKind::Tasks => et::TASK_ADDED,
        };
        self.push(t, kind, id, json!([]), after);
    }

    pub fn responsible(
        &mut self,
        kind: EntityKind,
        id: i64,
        before: Option<UserId>,
        after: Option<UserId>,
    ) {
        if before != after {
            self.push(
                et::ENTITY_RESPONSIBLE_CHANGED,
                kind,
                id,
                json!([{"responsible_user": {"id": before.map(|u| u.0)}}]),
                json!([{"responsible_user": {"id": after.map(|u| u.0)}}]),
            );
        }
    }

    pub fn name(&mut self, kind: EntityKind, id: i64, before: &str, after: &str) {
        if before != after {
            self.push(
                et::NAME_FIELD_CHANGED,
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
                self.push(
                    et::CUSTOM_FIELD_VALUE_CHANGED,
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
            self.push(et::ENTITY_LINKED, kind, id, json!([]), v);
        } else {
            self.push(et::ENTITY_UNLINKED, kind, id, v, json!([]));
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
