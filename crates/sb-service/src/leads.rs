//! Leads (C5): list with filters, get, batch create and update (all or nothing), and
//! the "complex" create of a lead with its contact and company in one transaction.
//! Every change records its events in the same transaction.

use crate::cards::{self as card_svc, CardInput};
use crate::custom_fields::{build_filters, RawFieldFilter};
use crate::events::{EventKind, Recorder};
use crate::Page;
use crate::{Actor, Ctx, ItemErrors, ServiceError};
use sb_domain::entities::CardKind;
use sb_domain::fields::{validate_values, FieldDef, FieldError, FieldValueInput};
use sb_domain::leads::{check_name, check_price, Lead, LeadContact};
use sb_domain::pipelines::{is_closing, Pipeline, StatusType};
use sb_domain::tags::Tag;
use sb_domain::{
    Action, CompanyId, ContactId, EntityKind, GroupId, LeadId, Phone, PipelineId, StatusId, TagId,
    UserId, Visibility,
};
pub use sb_store::leads::OrderBy as OrderByField;
use sb_store::leads::{self, LeadFilter};
use sb_store::{cards, custom_fields, pipelines, tags, users};
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// Most leads in one `complex` request.
pub const MAX_COMPLEX: usize = 50;

use crate::tags::TagPlan;
/// A tag as a client names it on an entity: by id or by name.
pub use crate::tags::TagRef as TagInput;

#[derive(Debug, Clone, Default)]
pub struct ContactLinkInput {
    pub id: i64,
    pub is_main: bool,
}

/// One item of a create or update batch, as the API parsed it.
#[derive(Debug, Clone, Default)]
pub struct LeadInput {
    pub request_id: Option<String>,
    pub id: Option<i64>,
    pub name: Option<String>,
    /// Minor units.
    pub price: Option<i64>,
    pub status_id: Option<i64>,
    pub pipeline_id: Option<i64>,
    pub responsible_user_id: Option<i64>,
    pub created_by: Option<i64>,
    pub updated_by: Option<i64>,
    /// Unix seconds, as the API speaks.
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub custom_fields_values: Option<Vec<FieldValueInput>>,
    /// `_embedded.tags`: replaces the set.
    pub tags: Option<Vec<TagInput>>,
    pub tags_to_add: Option<Vec<TagInput>>,
    pub tags_to_delete: Option<Vec<TagInput>>,
    /// `_embedded.contacts`: replaces the set.
    pub contacts: Option<Vec<ContactLinkInput>>,
    /// `_embedded.companies`: `Some(None)` unlinks.
    pub company_id: Option<Option<i64>>,
}

/// What a write answers per item.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadRef {
    pub id: i64,
    pub request_id: String,
    pub updated_at: i64,
}

/// A lead as read: with its tags and (on request) its contacts.
#[derive(Debug, Clone)]
pub struct LeadView {
    pub lead: Lead,
    pub tags: Vec<Tag>,
    pub contacts: Option<Vec<LeadContact>>,
}

#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub page: i64,
    pub limit: i64,
    pub ids: Vec<i64>,
    pub names: Vec<String>,
    pub pipeline_ids: Vec<i64>,
    /// (pipeline, stage) pairs.
    pub statuses: Vec<(i64, i64)>,
    pub responsible: Vec<i64>,
    pub created_by: Vec<i64>,
    pub updated_by: Vec<i64>,
    /// Minor units.
    pub price_from: Option<i64>,
    pub price_to: Option<i64>,
    /// Unix seconds.
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub updated_from: Option<i64>,
    pub updated_to: Option<i64>,
    pub closed_from: Option<i64>,
    pub closed_to: Option<i64>,
    /// `filter[closest_task_at][from|to]`, Unix seconds.
    pub closest_task_from: Option<i64>,
    pub closest_task_to: Option<i64>,
    pub fields: Vec<RawFieldFilter>,
    pub tag_ids: Vec<i64>,
    pub query: Option<String>,
    pub with_contacts: bool,
    pub only_deleted: bool,
    pub order_by: OrderByField,
    pub desc: bool,
}

pub async fn field_defs(ctx: &Ctx, actor: &Actor) -> Result<Vec<FieldDef>, ServiceError> {
    let mut c = ctx.db.conn().await?;
    Ok(custom_fields::list(&mut c, actor.account.id, "leads").await?)
}

fn ms(s: Option<i64>, end: bool) -> Option<i64> {
    s.map(|s| if end { s * 1000 + 999 } else { s * 1000 })
}

pub async fn list(ctx: &Ctx, actor: &Actor, p: ListParams) -> Result<Page<LeadView>, ServiceError> {
    let vis = actor.visibility(EntityKind::Leads, Action::View);
    let limit = p.limit.clamp(1, card_svc::MAX_LIMIT);
    let page = p.page.max(1);
    let mut f = LeadFilter {
        ids: p.ids.into_iter().map(LeadId).collect(),
        names: p.names,
        pipeline_ids: p.pipeline_ids.into_iter().map(PipelineId).collect(),
        statuses: p
            .statuses
            .into_iter()
            .map(|(a, b)| (PipelineId(a), StatusId(b)))
            .collect(),
        responsible: p.responsible.into_iter().map(UserId).collect(),
        created_by: p.created_by.into_iter().map(UserId).collect(),
        updated_by: p.updated_by.into_iter().map(UserId).collect(),
        price_from: p.price_from,
        price_to: p.price_to,
        created_from: ms(p.created_from, false),
        created_to: ms(p.created_to, true),
        updated_from: ms(p.updated_from, false),
        updated_to: ms(p.updated_to, true),
        closed_from: ms(p.closed_from, false),
        closed_to: ms(p.closed_to, true),
        closest_task_from: ms(p.closest_task_from, false),
        closest_task_to: ms(p.closest_task_to, true),
        tag_ids: p.tag_ids.into_iter().map(TagId).collect(),
        only_deleted: p.only_deleted,
        order_by: p.order_by,
        desc: p.desc,
        limit: limit + 1,
        offset: (page - 1) * limit,
        ..Default::default()
    };
    if let Some(q) = p.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if card_svc::looks_like_phone(q) {
            f.phone_digits = Some(Phone::parse(q, &actor.account.country).digits);
        } else {
            f.text = Some(q.to_string());
        }
    }
    let mut c = ctx.db.conn().await?;
    if !p.fields.is_empty() {
        let defs = custom_fields::list(&mut c, actor.account.id, "leads").await?;
        f.fields = build_filters(&defs, p.fields)?;
    }
    if vis == Visibility::None {
        return Ok(Page {
            items: vec![],
            page,
            limit,
            has_next: false,
        });
    }
    let mut items = leads::list(&mut c, actor.account.id, &f, vis).await?;
    let has_next = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let items = views(&mut c, actor, items, p.with_contacts).await?;
    Ok(Page {
        items,
        page,
        limit,
        has_next,
    })
}

async fn views(
    c: &mut impl sb_store::DbConn,
    actor: &Actor,
    items: Vec<Lead>,
    with_contacts: bool,
) -> Result<Vec<LeadView>, ServiceError> {
    let ids: Vec<i64> = items.iter().map(|l| l.id.0).collect();
    let mut tag_rows = tags::for_entities(c, actor.account.id, EntityKind::Leads, &ids).await?;
    let mut contact_rows = if with_contacts {
        let lids: Vec<LeadId> = items.iter().map(|l| l.id).collect();
        leads::contacts_of(c, actor.account.id, &lids).await?
    } else {
        Vec::new()
    };
    // Only contacts the caller may see are shown.
    if with_contacts && !contact_rows.is_empty() {
        let vis = actor.visibility(EntityKind::Contacts, Action::View);
        let cids: Vec<i64> = contact_rows.iter().map(|x| x.contact_id.0).collect();
        let visible: HashSet<i64> =
            cards::get_many(c, actor.account.id, CardKind::Contact, &cids, vis)
                .await?
                .into_iter()
                .map(|k| k.id)
                .collect();
        contact_rows.retain(|x| visible.contains(&x.contact_id.0));
    }
    Ok(items
        .into_iter()
        .map(|lead| {
            let id = lead.id;
            let tags = take_where(&mut tag_rows, |(eid, _)| *eid == id.0)
                .into_iter()
                .map(|(_, t)| t)
                .collect();
            let contacts = if with_contacts {
                Some(take_where(&mut contact_rows, |x| x.lead_id == id))
            } else {
                None
            };
            LeadView {
                lead,
                tags,
                contacts,
            }
        })
        .collect())
}

fn take_where<T>(v: &mut Vec<T>, pred: impl Fn(&T) -> bool) -> Vec<T> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < v.len() {
        if pred(&v[i]) {
            out.push(v.remove(i));
        } else {
            i += 1;
        }
    }
    out
}

pub async fn get(
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    with_contacts: bool,
) -> Result<LeadView, ServiceError> {
    let vis = actor.visibility(EntityKind::Leads, Action::View);
    let mut c = ctx.db.conn().await?;
    let lead = leads::get(&mut c, actor.account.id, LeadId(id), vis)
        .await?
        .ok_or(ServiceError::NotFound)?;
    views(&mut c, actor, vec![lead], with_contacts)
        .await?
        .pop()
        .ok_or(ServiceError::NotFound)
}

/// What validation needs, loaded once per batch.
pub(crate) struct Checks {
    defs: Vec<FieldDef>,
    users: HashMap<i64, Option<GroupId>>,
    pipelines: Vec<Pipeline>,
    main: PipelineId,
    contacts: HashSet<i64>,
    companies: HashSet<i64>,
    tags: HashMap<i64, Tag>,
}

async fn load_checks(
    ctx: &Ctx,
    actor: &Actor,
    items: &[LeadInput],
    known_contacts: &[i64],
    known_companies: &[i64],
) -> Result<Checks, ServiceError> {
    let main = crate::pipelines::ensure_main(ctx, actor.account.id).await?;
    let account = actor.account.id;
    let mut c = ctx.db.conn().await?;
    let defs = custom_fields::list(&mut c, account, "leads").await?;
    let users = users::list(&mut c, account)
        .await?
        .into_iter()
        .map(|u| (u.id.0, u.group_id))
        .collect();
    let pipelines = pipelines::list(&mut c, account).await?;
    let contact_ids: Vec<i64> = items
        .iter()
        .flat_map(|i| i.contacts.iter().flatten().map(|x| x.id))
        .collect();
    let mut contacts: HashSet<i64> = cards::get_many(
        &mut c,
        account,
        CardKind::Contact,
        &contact_ids,
        actor.visibility(EntityKind::Contacts, Action::View),
    )
    .await?
    .into_iter()
    .map(|k| k.id)
    .collect();
    contacts.extend(known_contacts);
    let company_ids: Vec<i64> = items
        .iter()
        .filter_map(|i| i.company_id.flatten())
        .collect();
    let mut companies: HashSet<i64> = cards::get_many(
        &mut c,
        account,
        CardKind::Company,
        &company_ids,
        actor.visibility(EntityKind::Companies, Action::View),
    )
    .await?
    .into_iter()
    .map(|k| k.id)
    .collect();
    companies.extend(known_companies);
    let tag_ids = crate::tags::ref_ids(items.iter().flat_map(|i| {
        i.tags
            .iter()
            .chain(i.tags_to_add.iter())
            .chain(i.tags_to_delete.iter())
            .flatten()
    }));
    let tags = crate::tags::known(&mut c, actor, EntityKind::Leads, &tag_ids).await?;
    Ok(Checks {
        defs,
        users,
        pipelines,
        main: main.id,
        contacts,
        companies,
        tags,
    })
}

impl Checks {
    fn pipeline(&self, id: PipelineId) -> Option<&Pipeline> {
        self.pipelines.iter().find(|p| p.id == id)
    }

    /// The stage a lead goes to. `current` is where it is (updates) or `None` (creates).
    fn stage(
        &self,
        pipeline_id: Option<i64>,
        status_id: Option<i64>,
        current: Option<(PipelineId, StatusId)>,
        errors: &mut Vec<FieldError>,
    ) -> Option<(PipelineId, StatusId)> {
        let base = current.map(|c| c.0).unwrap_or(self.main);
        let target = match (pipeline_id, status_id) {
            (None, None) => match current {
                Some(c) => return Some(c),
                None => self
                    .pipeline(base)
                    .and_then(|p| p.first_working_status().map(|s| (p.id, s.id))),
            },
            (Some(pid), sid) => {
                let Some(p) = self.pipeline(PipelineId(pid)) else {
                    errors.push(FieldError::not_supported("pipeline_id"));
                    return None;
                };
                match sid {
                    Some(sid) => match p.status(StatusId(sid)) {
                        Some(s) => Some((p.id, s.id)),
                        None => {
                            errors.push(FieldError::new(
                                "NotSupportedChoice",
                                "status_id",
                                format!("Stage {sid} is not in pipeline {pid}."),
                            ));
                            return None;
                        }
                    },
                    None => match current {
                        Some(c) if c.0 == p.id => Some(c),
                        _ => p.first_working_status().map(|s| (p.id, s.id)),
                    },
                }
            }
            (None, Some(sid)) => {
                let sid = StatusId(sid);
                let found = self
                    .pipeline(base)
                    .filter(|p| p.status(sid).is_some())
                    .or_else(|| self.pipelines.iter().find(|p| p.status(sid).is_some()));
                match found {
                    Some(p) => Some((p.id, sid)),
                    None => {
                        errors.push(FieldError::not_supported("status_id"));
                        return None;
                    }
                }
            }
        };
        let Some(target) = target else {
            errors.push(FieldError::not_supported("pipeline_id"));
            return None;
        };
        // Incoming leads arrive through integrations (C7), not by moving a lead there.
        // An integration (a web form, a mail robot) may create one there through the
        // API, as telephony does for an unknown caller; the inbox (crate::incoming)
        // takes it out again.
        let incoming = self
            .pipeline(target.0)
            .and_then(|p| p.status(target.1))
            .is_some_and(|s| s.status_type == StatusType::Incoming);
        if incoming && current.is_some_and(|c| c != target) {
            errors.push(FieldError::new(
                "NotSupportedChoice",
                "status_id",
                "A lead cannot be put into the incoming-leads stage.",
            ));
            return None;
        }
        Some(target)
    }

    fn user(&self, path: &str, v: Option<i64>, errors: &mut Vec<FieldError>) {
        if let Some(u) = v {
            if u != 0 && !self.users.contains_key(&u) {
                errors.push(FieldError::not_supported(path));
            }
        }
    }

    fn contacts(
        &self,
        items: Option<&Vec<ContactLinkInput>>,
        errors: &mut Vec<FieldError>,
    ) -> Option<Vec<(ContactId, bool)>> {
        let items = items?;
        let mut out = Vec::new();
        for (j, x) in items.iter().enumerate() {
            if self.contacts.contains(&x.id) {
                out.push((ContactId(x.id), x.is_main));
            } else {
                errors.push(FieldError::not_supported(format!(
                    "_embedded.contacts.{j}.id"
                )));
            }
        }
        Some(out)
    }

    fn company(&self, v: Option<Option<i64>>, errors: &mut Vec<FieldError>) {
        if let Some(Some(id)) = v {
            if !self.companies.contains(&id) {
                errors.push(FieldError::not_supported("_embedded.companies.0.id"));
            }
        }
    }
}

/// A lead checked and built, waiting for the write.
pub(crate) struct LeadWrite {
    pub(crate) lead: Lead,
    before: Option<Lead>,
    contacts: Option<Vec<(ContactId, bool)>>,
    tags: TagPlan,
}

fn common_checks(
    ck: &Checks,
    item: &LeadInput,
    errors: &mut Vec<FieldError>,
) -> (
    Option<String>,
    Option<i64>,
    Vec<sb_domain::fields::FieldValue>,
    TagPlan,
) {
    ck.user("responsible_user_id", item.responsible_user_id, errors);
    ck.user("created_by", item.created_by, errors);
    ck.user("updated_by", item.updated_by, errors);
    let name = match item.name.as_deref().map(check_name) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => {
            errors.push(FieldError::new("InvalidLength", "name", e.to_string()));
            None
        }
    };
    let price = match item.price.map(check_price) {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            errors.push(FieldError::new("InvalidValue", "price", e.to_string()));
            None
        }
    };
    let values = match item.custom_fields_values.as_deref() {
        Some(input) => match validate_values(&ck.defs, input, "custom_fields_values") {
            Ok(v) => v,
            Err(e) => {
                errors.extend(e);
                vec![]
            }
        },
        None => vec![],
    };
    ck.company(item.company_id, errors);
    let plan = crate::tags::plan(
        &ck.tags,
        item.tags.as_ref(),
        item.tags_to_add.as_ref(),
        item.tags_to_delete.as_ref(),
        errors,
    );
    (name, price, values, plan)
}

fn or_user(v: Option<i64>, actor: &Actor) -> UserId {
    UserId(v.filter(|u| *u != 0).unwrap_or(actor.user.id.0))
}

/// Checks and builds a create batch.
async fn prepare_create(
    ctx: &Ctx,
    actor: &Actor,
    items: Vec<LeadInput>,
    known_contacts: &[i64],
    known_companies: &[i64],
) -> Result<(Vec<LeadWrite>, Vec<LeadRef>), ServiceError> {
    if !actor.can(EntityKind::Leads, Action::Add) {
        return Err(ServiceError::Forbidden("you may not add leads".into()));
    }
    card_svc::check_batch_size(items.len())?;
    let ck = load_checks(ctx, actor, &items, known_contacts, known_companies).await?;
    let now = ctx.now();
    let mut writes = Vec::with_capacity(items.len());
    let mut refs = Vec::with_capacity(items.len());
    let mut all_errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = Vec::new();
        let (name, price, values, tags) = common_checks(&ck, &item, &mut errors);
        let stage = ck.stage(item.pipeline_id, item.status_id, None, &mut errors);
        let contacts = ck.contacts(item.contacts.as_ref(), &mut errors);
        let (Some((pipeline_id, status_id)), true) = (stage, errors.is_empty()) else {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
            continue;
        };
        let created_at = item.created_at.map(|s| s * 1000).unwrap_or(now);
        let mut custom = Vec::new();
        card_svc::merge_fields(&mut custom, values);
        let lead = Lead {
            id: LeadId(ctx.next_id()),
            account_id: actor.account.id,
            name: name.unwrap_or_default(),
            price: price.unwrap_or(0),
            pipeline_id,
            status_id,
            responsible_user_id: Some(or_user(item.responsible_user_id, actor)),
            company_id: item.company_id.flatten().map(CompanyId),
            loss_reason_id: None,
            created_by: or_user(item.created_by, actor),
            updated_by: or_user(item.updated_by, actor),
            created_at,
            updated_at: item
                .updated_at
                .map(|s| s * 1000)
                .unwrap_or(created_at.max(now)),
            closed_at: is_closing(status_id).then_some(now),
            closest_task_at: None,
            is_deleted: false,
            custom_fields: custom,
        };
        refs.push(LeadRef {
            id: lead.id.0,
            request_id: rid,
            updated_at: lead.updated_at,
        });
        writes.push(LeadWrite {
            lead,
            before: None,
            contacts,
            tags,
        });
    }
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    Ok((writes, refs))
}

fn status_json(l: &Lead) -> serde_json::Value {
    json!([{"lead_status": {"id": l.status_id.0, "pipeline_id": l.pipeline_id.0}}])
}

/// Writes created or updated leads with contacts, tags and events.
pub(crate) async fn write(
    tx: &mut sb_store::Tx,
    ctx: &Ctx,
    actor: &Actor,
    writes: &[LeadWrite],
    rec: &mut Recorder<'_>,
) -> Result<(), ServiceError> {
    let account = actor.account.id;
    let now = ctx.now();
    let new: Vec<Lead> = writes
        .iter()
        .filter(|w| w.before.is_none())
        .map(|w| w.lead.clone())
        .collect();
    if !new.is_empty() {
        leads::insert_many(tx, &new).await?;
    }
    for w in writes {
        let l = &w.lead;
        let id = l.id.0;
        let lk = EntityKind::Leads;
        let old_contacts: Vec<LeadContact> = match &w.before {
            None => {
                rec.added(lk, id, status_json(l));
                Vec::new()
            }
            Some(b) => {
                leads::update(tx, l).await?;
                if (b.pipeline_id, b.status_id) != (l.pipeline_id, l.status_id) {
                    rec.record(
                        EventKind::LeadStatusChanged,
                        lk,
                        id,
                        status_json(b),
                        status_json(l),
                    );
                }
                rec.responsible(lk, id, b.responsible_user_id, l.responsible_user_id);
                rec.name(lk, id, &b.name, &l.name);
                if b.price != l.price {
                    rec.record(
                        EventKind::SaleFieldChanged,
                        lk,
                        id,
                        json!([{"sale_field_value": {"sale": b.price / 100}}]),
                        json!([{"sale_field_value": {"sale": l.price / 100}}]),
                    );
                }
                rec.fields(lk, id, &b.custom_fields, &l.custom_fields);
                if w.contacts.is_some() {
                    leads::contacts_of(tx, account, &[l.id]).await?
                } else {
                    Vec::new()
                }
            }
        };
        let old_company = w.before.as_ref().and_then(|b| b.company_id);
        if old_company != l.company_id {
            if let Some(c) = old_company {
                rec.link(false, lk, id, EntityKind::Companies, c.0);
            }
            if let Some(c) = l.company_id {
                rec.link(true, lk, id, EntityKind::Companies, c.0);
            }
        }
        if let Some(contacts) = &w.contacts {
            let items: Vec<LeadContact> = contacts
                .iter()
                .map(|(c, main)| LeadContact {
                    lead_id: l.id,
                    contact_id: *c,
                    is_main: *main,
                })
                .collect();
            let stored = leads::set_contacts(tx, account, l.id, &items).await?;
            for x in &stored {
                if !old_contacts.iter().any(|o| o.contact_id == x.contact_id) {
                    rec.link(true, lk, id, EntityKind::Contacts, x.contact_id.0);
                }
            }
            for o in &old_contacts {
                if !stored.iter().any(|x| x.contact_id == o.contact_id) {
                    rec.link(false, lk, id, EntityKind::Contacts, o.contact_id.0);
                }
            }
        }
        crate::tags::apply(tx, actor, lk, id, &w.tags, now).await?;
    }
    Ok(())
}

/// What an update batch's validation needs (see [`update`]), loaded before its
/// transaction begins.
pub(crate) async fn update_checks(
    ctx: &Ctx,
    actor: &Actor,
    items: &[LeadInput],
) -> Result<Checks, ServiceError> {
    load_checks(ctx, actor, items, &[], &[]).await
}

/// Creates a batch of leads: every item is valid and written, or nothing is.
pub async fn create(
    ctx: &Ctx,
    actor: &Actor,
    items: Vec<LeadInput>,
) -> Result<Vec<LeadRef>, ServiceError> {
    let (writes, refs) = prepare_create(ctx, actor, items, &[], &[]).await?;
    let mut rec = Recorder::new(ctx, actor);
    let mut tx = ctx.db.begin().await?;
    write(&mut tx, ctx, actor, &writes, &mut rec).await?;
    rec.write(&mut tx).await?;
    tx.commit().await?;
    Ok(refs)
}

/// Updates a batch of leads (each item names its `id`): all or nothing. Unknown ids,
/// ids of another account and ids outside the caller's view scope get the same answer.
///
/// The leads are read inside the write transaction (see [`leads::lock_many`]): two
/// concurrent updates of one lead take turns, and the second builds on what the first
/// wrote instead of writing the fields the first changed back.
pub async fn update(
    ctx: &Ctx,
    actor: &Actor,
    items: Vec<LeadInput>,
) -> Result<Vec<LeadRef>, ServiceError> {
    card_svc::check_batch_size(items.len())?;
    let ck = load_checks(ctx, actor, &items, &[], &[]).await?;
    let mut tx = ctx.db.begin().await?;
    let existing = lock_existing(&mut tx, actor, &items).await?;
    let (writes, refs) = plan_updates(ctx, actor, &ck, items, &existing)?;
    let mut rec = Recorder::new(ctx, actor);
    write(&mut tx, ctx, actor, &writes, &mut rec).await?;
    rec.write(&mut tx).await?;
    tx.commit().await?;
    Ok(refs)
}

/// The leads a batch names that the caller may see, by id, read and held in `tx`.
pub(crate) async fn lock_existing(
    tx: &mut sb_store::Tx,
    actor: &Actor,
    items: &[LeadInput],
) -> Result<HashMap<i64, Lead>, ServiceError> {
    let view = actor.visibility(EntityKind::Leads, Action::View);
    let ids: Vec<LeadId> = items.iter().filter_map(|i| i.id.map(LeadId)).collect();
    Ok(leads::lock_many(tx, actor.account.id, &ids, view)
        .await?
        .into_iter()
        .map(|l| (l.id.0, l))
        .collect())
}

/// Checks rights and every item of an update batch against the leads as stored and
/// applies the changes; all items' errors are reported together, a lead the caller
/// may not edit ends the batch at once.
pub(crate) fn plan_updates(
    ctx: &Ctx,
    actor: &Actor,
    ck: &Checks,
    items: Vec<LeadInput>,
    existing: &HashMap<i64, Lead>,
) -> Result<(Vec<LeadWrite>, Vec<LeadRef>), ServiceError> {
    let edit = actor.visibility(EntityKind::Leads, Action::Edit);
    let now = ctx.now();
    let mut writes: Vec<LeadWrite> = Vec::with_capacity(items.len());
    let mut refs = Vec::with_capacity(items.len());
    let mut all_errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let Some(id) = item.id else {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors: vec![FieldError::required("id")],
            });
            continue;
        };
        if writes.iter().any(|w| w.lead.id.0 == id) {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors: vec![FieldError::new(
                    "NotUnique",
                    "id",
                    "This lead is already changed by another item of the batch.",
                )],
            });
            continue;
        }
        let Some(current) = existing.get(&id).cloned() else {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors: vec![FieldError::new("NotFound", "id", "Entity not found.")],
            });
            continue;
        };
        let owner_group = current
            .responsible_user_id
            .and_then(|u| ck.users.get(&u.0).copied().flatten());
        if !edit.covers(current.responsible_user_id, owner_group) {
            return Err(ServiceError::Forbidden(format!(
                "you may not edit lead {id}"
            )));
        }
        let mut errors = Vec::new();
        let (name, price, values, tags) = common_checks(ck, &item, &mut errors);
        let stage = ck.stage(
            item.pipeline_id,
            item.status_id,
            Some((current.pipeline_id, current.status_id)),
            &mut errors,
        );
        let contacts = ck.contacts(item.contacts.as_ref(), &mut errors);
        let (Some((pipeline_id, status_id)), true) = (stage, errors.is_empty()) else {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
            continue;
        };
        let mut lead = current.clone();
        let updated_at = item.updated_at.map(|s| s * 1000).unwrap_or(now);
        if (pipeline_id, status_id) != (lead.pipeline_id, lead.status_id) {
            lead.move_to(pipeline_id, status_id, updated_at);
        }
        if let Some(n) = name {
            lead.name = n;
        }
        if let Some(p) = price {
            lead.price = p;
        }
        if item.custom_fields_values.is_some() {
            card_svc::merge_fields(&mut lead.custom_fields, values);
        }
        if let Some(u) = item.responsible_user_id.filter(|u| *u != 0) {
            lead.responsible_user_id = Some(UserId(u));
        }
        if let Some(link) = item.company_id {
            lead.company_id = link.map(CompanyId);
        }
        lead.updated_by = or_user(item.updated_by, actor);
        lead.updated_at = updated_at;
        refs.push(LeadRef {
            id,
            request_id: rid,
            updated_at: lead.updated_at,
        });
        writes.push(LeadWrite {
            lead,
            before: Some(current),
            contacts,
            tags,
        });
    }
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    Ok((writes, refs))
}

/// One item of `POST /api/v4/leads/complex`: a lead with at most one contact and one
/// company, each new (full object) or existing (by id).
#[derive(Debug, Clone, Default)]
pub struct ComplexInput {
    pub lead: LeadInput,
    pub contact: Option<CardInput>,
    pub company: Option<CardInput>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ComplexRef {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub company_id: Option<i64>,
    pub request_id: String,
    /// True when an existing contact was reused (duplicate control); never here yet.
    pub merged: bool,
}

/// Prefixes the paths of a nested entity's validation errors and files them under the
/// lead's request id.
fn nest(e: ServiceError, rid: &str, prefix: &str) -> ServiceError {
    match e {
        ServiceError::Validation(items) => ServiceError::Validation(
            items
                .into_iter()
                .map(|it| ItemErrors {
                    request_id: rid.to_string(),
                    errors: it
                        .errors
                        .into_iter()
                        .map(|mut f| {
                            f.path = if f.path.is_empty() {
                                prefix.trim_end_matches('.').to_string()
                            } else {
                                format!("{prefix}{}", f.path)
                            };
                            f
                        })
                        .collect(),
                })
                .collect(),
        ),
        other => other,
    }
}

/// Creates leads with their contact and company in one transaction, all or nothing.
pub async fn create_complex(
    ctx: &Ctx,
    actor: &Actor,
    items: Vec<ComplexInput>,
) -> Result<Vec<ComplexRef>, ServiceError> {
    check_complex_size(items.len())?;
    let mut plan = ComplexPlan::default();
    for (i, item) in items.into_iter().enumerate() {
        plan.add(ctx, actor, i, item).await?;
    }
    let known_contacts = plan.contacts.ids();
    let known_companies = plan.companies.ids();
    let lead_inputs = std::mem::take(&mut plan.lead_inputs);
    let (writes, refs) =
        match prepare_create(ctx, actor, lead_inputs, &known_contacts, &known_companies).await {
            Ok(x) => x,
            Err(ServiceError::Validation(v)) => {
                plan.errors.extend(v);
                (Vec::new(), Vec::new())
            }
            Err(other) => return Err(other),
        };
    if !plan.errors.is_empty() {
        return Err(ServiceError::Validation(errors_by_lead(plan.errors)));
    }
    for (o, r) in plan.out.iter_mut().zip(&refs) {
        o.id = r.id;
    }
    write_complex(ctx, actor, &plan, &writes).await?;
    Ok(plan.out)
}

fn check_complex_size(n: usize) -> Result<(), ServiceError> {
    if n == 0 || n > MAX_COMPLEX {
        return Err(ServiceError::BadRequest(format!(
            "a complex request holds 1 to {MAX_COMPLEX} leads"
        )));
    }
    Ok(())
}

/// New cards of one kind checked and built for a complex create, not yet written.
#[derive(Default)]
struct NewCards {
    writes: Vec<sb_store::cards::CardWrite>,
    tags: Vec<(i64, TagPlan)>,
}

impl NewCards {
    fn ids(&self) -> Vec<i64> {
        self.writes.iter().map(|w| w.card.id).collect()
    }
}

/// A complex create as its items are checked: the leads' inputs with their links
/// resolved, the new contacts and companies, what each item answers, and the errors.
#[derive(Default)]
struct ComplexPlan {
    lead_inputs: Vec<LeadInput>,
    contacts: NewCards,
    companies: NewCards,
    /// Parallel to `lead_inputs`; the lead ids are filled in once they are built.
    out: Vec<ComplexRef>,
    errors: Vec<ItemErrors>,
}

impl ComplexPlan {
    /// Checks one item's new company and contact (existing ones are named by id) and
    /// links the lead to them.
    async fn add(
        &mut self,
        ctx: &Ctx,
        actor: &Actor,
        i: usize,
        mut item: ComplexInput,
    ) -> Result<(), ServiceError> {
        let rid = item
            .lead
            .request_id
            .clone()
            .unwrap_or_else(|| i.to_string());
        item.lead.request_id = Some(rid.clone());
        let company_id = match item.company {
            Some(co) => {
                let new = NewCard {
                    kind: CardKind::Company,
                    rid: &rid,
                    prefix: "_embedded.companies.0.",
                    company: None,
                };
                new.resolve(ctx, actor, co, &mut self.companies, &mut self.errors)
                    .await?
            }
            None => None,
        };
        let contact_id = match item.contact {
            Some(ct) => {
                // The new contact belongs to the new (or given) company, checked with
                // the lead.
                let new = NewCard {
                    kind: CardKind::Contact,
                    rid: &rid,
                    prefix: "_embedded.contacts.0.",
                    company: company_id,
                };
                new.resolve(ctx, actor, ct, &mut self.contacts, &mut self.errors)
                    .await?
            }
            None => None,
        };
        if let Some(c) = contact_id {
            item.lead.contacts = Some(vec![ContactLinkInput {
                id: c,
                is_main: true,
            }]);
        }
        if company_id.is_some() {
            item.lead.company_id = Some(company_id);
        }
        self.out.push(ComplexRef {
            id: 0,
            contact_id,
            company_id,
            request_id: rid,
            merged: false,
        });
        self.lead_inputs.push(item.lead);
        Ok(())
    }
}

/// Where a complex item's contact or company goes.
struct NewCard<'a> {
    kind: CardKind,
    /// The lead's request id, under which the card's errors are filed.
    rid: &'a str,
    /// The card's place in the lead's body, prefixed to its errors' paths.
    prefix: &'a str,
    /// The company a new contact belongs to.
    company: Option<i64>,
}

impl NewCard<'_> {
    /// The card's id: the one given, or that of the new card built into `into`.
    /// Validation errors go to `errors` (the id is then unknown); others end the request.
    async fn resolve(
        &self,
        ctx: &Ctx,
        actor: &Actor,
        mut input: CardInput,
        into: &mut NewCards,
        errors: &mut Vec<ItemErrors>,
    ) -> Result<Option<i64>, ServiceError> {
        if input.id.is_some() {
            return Ok(input.id);
        }
        input.request_id = Some(self.rid.to_string());
        input.company_id = None;
        match card_svc::prepare_create(ctx, actor, self.kind, vec![input]).await {
            Ok(mut p) => {
                into.tags.append(&mut p.tags);
                Ok(p.writes.pop().map(|mut w| {
                    w.card.company_id = self.company.map(CompanyId);
                    let id = w.card.id;
                    into.writes.push(w);
                    id
                }))
            }
            Err(e) => match nest(e, self.rid, self.prefix) {
                ServiceError::Validation(v) => {
                    errors.extend(v);
                    Ok(None)
                }
                other => Err(other),
            },
        }
    }
}

/// One entry per lead, its errors in the order found.
fn errors_by_lead(errors: Vec<ItemErrors>) -> Vec<ItemErrors> {
    let mut merged: Vec<ItemErrors> = Vec::new();
    for e in errors {
        match merged.iter_mut().find(|m| m.request_id == e.request_id) {
            Some(m) => m.errors.extend(e.errors),
            None => merged.push(e),
        }
    }
    merged
}

/// Writes a checked complex create: companies, then contacts (which may belong to
/// them), then the leads linking both, with every event, in one transaction.
async fn write_complex(
    ctx: &Ctx,
    actor: &Actor,
    plan: &ComplexPlan,
    leads: &[LeadWrite],
) -> Result<(), ServiceError> {
    let mut rec = Recorder::new(ctx, actor);
    let mut tx = ctx.db.begin().await?;
    let (co, ct) = (&plan.companies, &plan.contacts);
    card_svc::write_created(&mut tx, CardKind::Company, &co.writes, &mut rec).await?;
    card_svc::write_created(&mut tx, CardKind::Contact, &ct.writes, &mut rec).await?;
    card_svc::write_tags(&mut tx, ctx, actor, CardKind::Company, &co.tags).await?;
    card_svc::write_tags(&mut tx, ctx, actor, CardKind::Contact, &ct.tags).await?;
    write(&mut tx, ctx, actor, leads, &mut rec).await?;
    rec.write(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// One stage's figures on the pipeline board: how many leads the caller may see there
/// and the sum of their prices.
pub use sb_store::leads::StatusCount as StageTotal;

/// Leads and price sums per stage of one pipeline, counted inside the caller's view
/// scope (a manager with scope "own" sees the figures of their own leads). Stages
/// without leads are absent.
pub async fn stage_totals(
    ctx: &Ctx,
    actor: &Actor,
    pipeline_id: i64,
) -> Result<Vec<StageTotal>, ServiceError> {
    let vis = actor.visibility(EntityKind::Leads, Action::View);
    if vis == Visibility::None {
        return Ok(Vec::new());
    }
    let mut c = ctx.db.conn().await?;
    Ok(
        leads::count_by_status(&mut c, actor.account.id, Some(PipelineId(pipeline_id)), vis)
            .await?,
    )
}

/// Deletes (marks deleted) one lead the caller may delete, recording `lead_deleted`
/// in the same transaction. A lead the caller may not see is `NotFound`; one they see
/// but may not delete is `Forbidden`.
pub async fn delete(ctx: &Ctx, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    let view = actor.visibility(EntityKind::Leads, Action::View);
    let mut tx = ctx.db.begin().await?;
    let lead = leads::lock_many(&mut tx, actor.account.id, &[LeadId(id)], view)
        .await?
        .pop()
        .ok_or(ServiceError::NotFound)?;
    let owner = lead.responsible_user_id;
    if !actor
        .covers_owner(&mut tx, EntityKind::Leads, Action::Delete, owner)
        .await?
    {
        return Err(ServiceError::Forbidden(format!(
            "you may not delete lead {id}"
        )));
    }
    let now = ctx.now();
    leads::delete(&mut tx, actor.account.id, &[lead.id], actor.user.id, now).await?;
    let mut rec = Recorder::new(ctx, actor);
    rec.record(
        EventKind::LeadDeleted,
        EntityKind::Leads,
        id,
        status_json(&lead),
        json!([]),
    );
    rec.write(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}
