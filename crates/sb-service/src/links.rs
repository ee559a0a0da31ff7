//! Links between leads, contacts, companies and list (catalog) elements (Kommo §11).
//! A lead keeps at most one company and a contact at most one company: linking a
//! second one replaces the first. Linking changes the source entity, so it needs the
//! edit right on it and the view right on the target; each change records
//! `entity_linked` / `entity_unlinked` in its transaction.

use crate::events::{EventKind, Recorder};
use crate::{Actor, Ctx, ItemErrors, ServiceError};
use sb_domain::catalogs::{check_quantity, CatalogLink};
use sb_domain::entities::{Card, CardKind};
use sb_domain::fields::FieldError;
use sb_domain::leads::Lead;
use sb_domain::{
    Action, CatalogElementId, CatalogId, CompanyId, ContactId, EntityKind, LeadId, Visibility,
};
use sb_store::cards::{self, CardFilter, CardWrite};
use sb_store::{catalogs, custom_fields, leads, DbConn};
use serde_json::{json, Value};

/// Kommo's `to_entity_type` of a list element.
pub const CATALOG_ELEMENTS: &str = "catalog_elements";

/// One link as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub entity_type: EntityKind,
    pub entity_id: i64,
    /// `leads`, `contacts`, `companies` or `catalog_elements`.
    pub to_entity_type: String,
    pub to_entity_id: i64,
    pub metadata: Value,
}

#[derive(Debug, Clone, Default)]
pub struct LinkInput {
    pub request_id: Option<String>,
    pub to_entity_id: Option<i64>,
    pub to_entity_type: Option<String>,
    pub is_main: Option<bool>,
    pub catalog_id: Option<i64>,
    pub quantity: Option<f64>,
}

fn card_kind(kind: EntityKind) -> Option<CardKind> {
    match kind {
        EntityKind::Contacts => Some(CardKind::Contact),
        EntityKind::Companies => Some(CardKind::Company),
        _ => None,
    }
}

/// What `kind` may link to.
fn allowed(kind: EntityKind, to: &str) -> bool {
    matches!(
        (kind, to),
        (
            EntityKind::Leads,
            "contacts" | "companies" | CATALOG_ELEMENTS
        ) | (
            EntityKind::Contacts,
            "leads" | "companies" | CATALOG_ELEMENTS
        ) | (
            EntityKind::Companies,
            "leads" | "contacts" | CATALOG_ELEMENTS
        )
    )
}

fn target_kind(to: &str) -> Option<EntityKind> {
    match to {
        "leads" => Some(EntityKind::Leads),
        "contacts" => Some(EntityKind::Contacts),
        "companies" => Some(EntityKind::Companies),
        _ => None,
    }
}

enum Entity {
    Lead(Lead),
    Card(Card),
}

async fn load(
    c: &mut impl DbConn,
    actor: &Actor,
    kind: EntityKind,
    id: i64,
    vis: Visibility,
) -> Result<Option<Entity>, ServiceError> {
    if vis == Visibility::None {
        return Ok(None);
    }
    let a = actor.account.id;
    Ok(match card_kind(kind) {
        Some(ck) => cards::get(c, a, ck, id, vis).await?.map(Entity::Card),
        None if kind == EntityKind::Leads => {
            leads::get(c, a, LeadId(id), vis).await?.map(Entity::Lead)
        }
        None => None,
    })
}

/// The entity, checked for the view right (`NotFound`) and, when `edit`, the edit
/// right (`Forbidden`).
async fn load_checked(
    c: &mut impl DbConn,
    actor: &Actor,
    kind: EntityKind,
    id: i64,
    edit: bool,
) -> Result<Entity, ServiceError> {
    let e = load(c, actor, kind, id, actor.visibility(kind, Action::View))
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !edit {
        return Ok(e);
    }
    load(c, actor, kind, id, actor.visibility(kind, Action::Edit))
        .await?
        .ok_or_else(|| {
            ServiceError::Forbidden(format!("you may not edit {} {id}", kind.singular()))
        })
        .map(|_| e)
}

/// Every link of one entity (only to entities the caller may see).
pub async fn list(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    id: i64,
) -> Result<Vec<Link>, ServiceError> {
    let account = actor.account.id;
    let mut c = ctx.db.conn().await?;
    let entity = load_checked(&mut c, actor, kind, id, false).await?;
    let mut out = Vec::new();
    let link = |to: &str, to_id: i64, metadata: Value| Link {
        entity_type: kind,
        entity_id: id,
        to_entity_type: to.to_string(),
        to_entity_id: to_id,
        metadata,
    };
    let contact_vis = actor.visibility(EntityKind::Contacts, Action::View);
    let company_vis = actor.visibility(EntityKind::Companies, Action::View);
    let lead_vis = actor.visibility(EntityKind::Leads, Action::View);
    match &entity {
        Entity::Lead(l) => {
            let lc = leads::contacts_of(&mut c, account, &[l.id]).await?;
            let ids: Vec<i64> = lc.iter().map(|x| x.contact_id.0).collect();
            let seen: Vec<i64> = if contact_vis == Visibility::None {
                vec![]
            } else {
                cards::get_many(&mut c, account, CardKind::Contact, &ids, contact_vis)
                    .await?
                    .into_iter()
                    .map(|k| k.id)
                    .collect()
            };
            for x in lc.iter().filter(|x| seen.contains(&x.contact_id.0)) {
                out.push(link(
                    "contacts",
                    x.contact_id.0,
                    json!({"main_contact": x.is_main}),
                ));
            }
            if let Some(co) = l.company_id {
                if company_vis != Visibility::None
                    && cards::get(&mut c, account, CardKind::Company, co.0, company_vis)
                        .await?
                        .is_some()
                {
                    out.push(link("companies", co.0, Value::Null));
                }
            }
        }
        Entity::Card(k) if k.kind == CardKind::Contact => {
            if lead_vis != Visibility::None {
                for x in
                    leads::leads_of_contacts(&mut c, account, &[ContactId(id)], lead_vis).await?
                {
                    out.push(link(
                        "leads",
                        x.lead_id.0,
                        json!({"main_contact": x.is_main}),
                    ));
                }
            }
            if let Some(co) = k.company_id {
                if company_vis != Visibility::None
                    && cards::get(&mut c, account, CardKind::Company, co.0, company_vis)
                        .await?
                        .is_some()
                {
                    out.push(link("companies", co.0, Value::Null));
                }
            }
        }
        Entity::Card(_) => {
            if lead_vis != Visibility::None {
                for (_, l) in
                    leads::leads_of_companies(&mut c, account, &[CompanyId(id)], lead_vis).await?
                {
                    out.push(link("leads", l.0, Value::Null));
                }
            }
            if contact_vis != Visibility::None {
                let f = CardFilter {
                    company_id: Some(id),
                    limit: 500,
                    ..Default::default()
                };
                for k in cards::list(&mut c, account, CardKind::Contact, &f, contact_vis).await? {
                    out.push(link("contacts", k.id, Value::Null));
                }
            }
        }
    }
    for l in catalogs::links_of(&mut c, account, kind, &[id]).await? {
        out.push(link(
            CATALOG_ELEMENTS,
            l.element_id.0,
            json!({"catalog_id": l.catalog_id.0, "quantity": l.quantity}),
        ));
    }
    Ok(out)
}

/// A checked link operation, applied in the write transaction.
enum Op {
    LeadContact {
        lead: LeadId,
        contact: ContactId,
        is_main: bool,
    },
    LeadCompany {
        lead: LeadId,
        company: CompanyId,
    },
    ContactCompany {
        contact: i64,
        company: CompanyId,
    },
    Element(CatalogLink),
}

/// Checks one link item; `Ok(None)` with errors pushed when it is invalid.
async fn check(
    c: &mut impl DbConn,
    actor: &Actor,
    kind: EntityKind,
    id: i64,
    item: &LinkInput,
    errors: &mut Vec<FieldError>,
) -> Result<Option<(Op, Link)>, ServiceError> {
    let Some(to) = item.to_entity_type.as_deref().map(str::trim) else {
        errors.push(FieldError::required("to_entity_type"));
        return Ok(None);
    };
    if !allowed(kind, to) {
        errors.push(FieldError::not_supported("to_entity_type"));
        return Ok(None);
    }
    let Some(to_id) = item.to_entity_id else {
        errors.push(FieldError::required("to_entity_id"));
        return Ok(None);
    };
    let account = actor.account.id;
    let link = Link {
        entity_type: kind,
        entity_id: id,
        to_entity_type: to.to_string(),
        to_entity_id: to_id,
        metadata: Value::Null,
    };
    if to == CATALOG_ELEMENTS {
        let Some(cat) = item.catalog_id else {
            errors.push(FieldError::required("metadata.catalog_id"));
            return Ok(None);
        };
        let Some(catalog) = catalogs::get(c, account, CatalogId(cat)).await? else {
            errors.push(FieldError::not_supported("metadata.catalog_id"));
            return Ok(None);
        };
        if catalogs::get_element(c, account, catalog.id, CatalogElementId(to_id))
            .await?
            .is_none()
        {
            errors.push(FieldError::not_supported("to_entity_id"));
            return Ok(None);
        }
        let quantity = match check_quantity(item.quantity) {
            Ok(q) => q,
            Err(e) => {
                errors.push(FieldError::new(
                    "InvalidValue",
                    "metadata.quantity",
                    e.to_string(),
                ));
                return Ok(None);
            }
        };
        let others = catalogs::count_links(
            c,
            account,
            kind,
            id,
            catalog.id,
            Some(CatalogElementId(to_id)),
        )
        .await?;
        if let Err(e) = catalog.check_link(kind, others as usize) {
            errors.push(FieldError::new(
                "NotSupportedChoice",
                "to_entity_id",
                e.to_string(),
            ));
            return Ok(None);
        }
        let l = CatalogLink {
            entity: kind,
            entity_id: id,
            catalog_id: catalog.id,
            element_id: CatalogElementId(to_id),
            quantity,
        };
        let metadata = json!({"catalog_id": cat, "quantity": quantity});
        return Ok(Some((Op::Element(l), Link { metadata, ..link })));
    }
    let Some(tk) = target_kind(to) else {
        errors.push(FieldError::not_supported("to_entity_type"));
        return Ok(None);
    };
    if load(c, actor, tk, to_id, actor.visibility(tk, Action::View))
        .await?
        .is_none()
    {
        errors.push(FieldError::not_supported("to_entity_id"));
        return Ok(None);
    }
    let is_main = item.is_main.unwrap_or(false);
    let op = match (kind, tk) {
        (EntityKind::Leads, EntityKind::Contacts) => Op::LeadContact {
            lead: LeadId(id),
            contact: ContactId(to_id),
            is_main,
        },
        (EntityKind::Contacts, EntityKind::Leads) => Op::LeadContact {
            lead: LeadId(to_id),
            contact: ContactId(id),
            is_main,
        },
        (EntityKind::Leads, EntityKind::Companies) => Op::LeadCompany {
            lead: LeadId(id),
            company: CompanyId(to_id),
        },
        (EntityKind::Companies, EntityKind::Leads) => Op::LeadCompany {
            lead: LeadId(to_id),
            company: CompanyId(id),
        },
        (EntityKind::Contacts, EntityKind::Companies) => Op::ContactCompany {
            contact: id,
            company: CompanyId(to_id),
        },
        _ => Op::ContactCompany {
            contact: to_id,
            company: CompanyId(id),
        },
    };
    let metadata = match op {
        Op::LeadContact { is_main, .. } => json!({"main_contact": is_main}),
        _ => Value::Null,
    };
    Ok(Some((op, Link { metadata, ..link })))
}

/// Rewrites a contact's company (with its phone index, unchanged).
async fn set_contact_company(
    tx: &mut sb_store::Tx,
    ctx: &Ctx,
    actor: &Actor,
    contact: i64,
    company: Option<CompanyId>,
) -> Result<Option<CompanyId>, ServiceError> {
    let account = actor.account.id;
    // Held until the transaction ends, so a concurrent update of the contact is not
    // written over (the whole row is rewritten below).
    let Some(mut card) =
        cards::lock_many(tx, account, CardKind::Contact, &[contact], Visibility::All)
            .await?
            .pop()
    else {
        return Err(ServiceError::NotFound);
    };
    let before = card.company_id;
    let defs = custom_fields::list(tx, account, "contacts").await?;
    card.company_id = company;
    card.updated_at = ctx.now();
    card.updated_by = actor.user.id;
    let phones = crate::cards::phones_of(&defs, &card.custom_fields, &actor.account.country);
    cards::update(tx, &CardWrite { card, phones }).await?;
    Ok(before)
}

/// Links an entity to others, all or nothing; answers the links made.
pub async fn link(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    id: i64,
    items: Vec<LinkInput>,
) -> Result<Vec<Link>, ServiceError> {
    crate::cards::check_batch_size(items.len())?;
    let mut c = ctx.db.conn().await?;
    load_checked(&mut c, actor, kind, id, true).await?;
    drop(c);
    link_many(
        ctx,
        actor,
        kind,
        items.into_iter().map(|i| (Some(id), i)).collect(),
    )
    .await
}

/// Every link of several entities (`GET /api/v4/{e}/links?filter[entity_id][]=`);
/// entities the caller may not see are skipped, as a list would.
pub async fn list_many(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    ids: &[i64],
) -> Result<Vec<Link>, ServiceError> {
    crate::cards::check_batch_size(ids.len())?;
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for &id in ids {
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        match list(ctx, actor, kind, id).await {
            Ok(ls) => out.extend(ls),
            Err(ServiceError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The source entity of a mass-link item, checked for the edit right once per id
/// (`checked` remembers the ones that passed). A missing, unknown or invisible entity
/// is an error of the item; a visible one the caller may not edit forbids the batch,
/// as on the per-entity path.
async fn source(
    c: &mut impl DbConn,
    actor: &Actor,
    kind: EntityKind,
    id: Option<i64>,
    checked: &mut Vec<i64>,
    errors: &mut Vec<FieldError>,
) -> Result<Option<i64>, ServiceError> {
    let Some(id) = id else {
        errors.push(FieldError::required("entity_id"));
        return Ok(None);
    };
    if checked.contains(&id) {
        return Ok(Some(id));
    }
    match load_checked(c, actor, kind, id, true).await {
        Ok(_) => {
            checked.push(id);
            Ok(Some(id))
        }
        Err(ServiceError::NotFound) => {
            errors.push(FieldError::not_supported("entity_id"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Links several entities of one kind to others (`POST /api/v4/{e}/link`, items carry
/// `entity_id`), all or nothing; answers the links made.
pub async fn link_many(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    items: Vec<(Option<i64>, LinkInput)>,
) -> Result<Vec<Link>, ServiceError> {
    crate::cards::check_batch_size(items.len())?;
    let mut c = ctx.db.conn().await?;
    let mut ops = Vec::new();
    let mut all_errors = Vec::new();
    let mut checked = Vec::new();
    for (i, (id, item)) in items.iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = Vec::new();
        let op = match source(&mut c, actor, kind, *id, &mut checked, &mut errors).await? {
            Some(id) => check(&mut c, actor, kind, id, item, &mut errors).await?,
            None => None,
        };
        match op {
            Some(x) if errors.is_empty() => ops.push(x),
            _ => all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            }),
        }
    }
    drop(c);
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    let account = actor.account.id;
    let now = ctx.now();
    let mut rec = Recorder::new(ctx, actor);
    let mut tx = ctx.db.begin().await?;
    for (op, l) in &ops {
        let to = target_kind(&l.to_entity_type);
        let id = l.entity_id;
        match op {
            Op::LeadContact {
                lead,
                contact,
                is_main,
            } => {
                leads::add_contact(&mut tx, account, *lead, *contact, *is_main).await?;
            }
            Op::LeadCompany { lead, company } => {
                let before = leads::company_of(&mut tx, account, *lead).await?;
                if before != Some(*company) {
                    leads::set_company(&mut tx, account, *lead, Some(*company), actor.user.id, now)
                        .await?;
                    if let Some(old) = before {
                        rec.link(
                            false,
                            EntityKind::Leads,
                            lead.0,
                            EntityKind::Companies,
                            old.0,
                        );
                    }
                }
            }
            Op::ContactCompany { contact, company } => {
                let before =
                    set_contact_company(&mut tx, ctx, actor, *contact, Some(*company)).await?;
                if let Some(old) = before.filter(|o| o != company) {
                    rec.link(
                        false,
                        EntityKind::Contacts,
                        *contact,
                        EntityKind::Companies,
                        old.0,
                    );
                }
            }
            Op::Element(cl) => {
                catalogs::link(&mut tx, account, cl).await?;
            }
        }
        match to {
            Some(tk) => rec.link(true, kind, id, tk, l.to_entity_id),
            None => rec.record(
                EventKind::EntityLinked,
                kind,
                id,
                json!([]),
                json!([{"link": {"entity": {"id": l.to_entity_id, "type": "catalog_element"}}}]),
            ),
        }
    }
    rec.write(&mut tx).await?;
    tx.commit().await?;
    Ok(ops.into_iter().map(|(_, l)| l).collect())
}

/// Removes links, all or nothing (unknown links are ignored, as in Kommo).
pub async fn unlink(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    id: i64,
    items: Vec<LinkInput>,
) -> Result<(), ServiceError> {
    crate::cards::check_batch_size(items.len())?;
    let mut c = ctx.db.conn().await?;
    load_checked(&mut c, actor, kind, id, true).await?;
    drop(c);
    unlink_many(
        ctx,
        actor,
        kind,
        items.into_iter().map(|i| (Some(id), i)).collect(),
    )
    .await
}

/// Removes links of several entities of one kind (`POST /api/v4/{e}/unlink`, items
/// carry `entity_id`), all or nothing.
pub async fn unlink_many(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    items: Vec<(Option<i64>, LinkInput)>,
) -> Result<(), ServiceError> {
    crate::cards::check_batch_size(items.len())?;
    let mut c = ctx.db.conn().await?;
    let mut all_errors = Vec::new();
    let mut targets = Vec::new();
    let mut checked = Vec::new();
    for (i, (id, item)) in items.iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = Vec::new();
        if let Some(id) = source(&mut c, actor, kind, *id, &mut checked, &mut errors).await? {
            match (
                item.to_entity_type.as_deref().map(str::trim),
                item.to_entity_id,
            ) {
                (Some(t), Some(to)) if allowed(kind, t) => targets.push((id, t.to_string(), to)),
                (Some(t), _) if !allowed(kind, t) => {
                    errors.push(FieldError::not_supported("to_entity_type"))
                }
                (None, _) => errors.push(FieldError::required("to_entity_type")),
                _ => errors.push(FieldError::required("to_entity_id")),
            }
        }
        if !errors.is_empty() {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
        }
    }
    drop(c);
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    let account = actor.account.id;
    let now = ctx.now();
    let mut rec = Recorder::new(ctx, actor);
    let mut tx = ctx.db.begin().await?;
    for (id, to, to_id) in targets {
        let tk = target_kind(&to);
        let removed = match (kind, tk) {
            (_, None) => {
                catalogs::unlink(&mut tx, account, kind, id, CatalogElementId(to_id)).await?
            }
            (EntityKind::Leads, Some(EntityKind::Contacts)) => {
                leads::remove_contact(&mut tx, account, LeadId(id), ContactId(to_id)).await?
            }
            (EntityKind::Contacts, Some(EntityKind::Leads)) => {
                leads::remove_contact(&mut tx, account, LeadId(to_id), ContactId(id)).await?
            }
            (EntityKind::Leads, Some(EntityKind::Companies))
            | (EntityKind::Companies, Some(EntityKind::Leads)) => {
                let (lead, company) = if kind == EntityKind::Leads {
                    (LeadId(id), CompanyId(to_id))
                } else {
                    (LeadId(to_id), CompanyId(id))
                };
                if leads::company_of(&mut tx, account, lead).await? == Some(company) {
                    leads::set_company(&mut tx, account, lead, None, actor.user.id, now).await?;
                    true
                } else {
                    false
                }
            }
            _ => {
                let (contact, company) = if kind == EntityKind::Contacts {
                    (id, CompanyId(to_id))
                } else {
                    (to_id, CompanyId(id))
                };
                match cards::get(
                    &mut tx,
                    account,
                    CardKind::Contact,
                    contact,
                    Visibility::All,
                )
                .await?
                {
                    Some(k) if k.company_id == Some(company) => {
                        set_contact_company(&mut tx, ctx, actor, contact, None).await?;
                        true
                    }
                    _ => false,
                }
            }
        };
        if removed {
            match tk {
                Some(tk) => rec.link(false, kind, id, tk, to_id),
                None => rec.record(
                    EventKind::EntityUnlinked,
                    kind,
                    id,
                    json!([{"link": {"entity": {"id": to_id, "type": "catalog_element"}}}]),
                    json!([]),
                ),
            }
        }
    }
    rec.write(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}
