//! Contacts and companies (C3, C4) and phone identity: list, get, batch create and
//! update (all or nothing), and caller lookup by phone in any format.

use crate::custom_fields::{build_filters, RawFieldFilter};
use crate::events::Recorder;
use crate::tags::{TagPlan, TagRef};
use crate::{Actor, Ctx, ItemErrors, Page, ServiceError};
use sb_domain::entities::{Card, CardKind, PhoneMatch};
use sb_domain::fields::{validate_values, FieldDef, FieldError, FieldValue, FieldValueInput};
use sb_domain::tags::Tag;
use sb_domain::{AccountId, Action, CompanyId, EntityKind, Phone, UserId, Visibility};
pub use sb_store::cards::OrderBy as OrderByField;
use sb_store::cards::{self, CardFilter, CardPhone, CardWrite};
use sb_store::field_values::{self, ValueOwner};
use sb_store::{accounts, custom_fields, tags, users};
use serde_json::json;
use std::collections::HashMap;

pub const MAX_BATCH: usize = 250;
pub const MAX_LIMIT: i64 = 250;

/// One item of a create or update batch, as the API parsed it.
#[derive(Debug, Clone, Default)]
pub struct CardInput {
    pub request_id: Option<String>,
    pub id: Option<i64>,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub responsible_user_id: Option<i64>,
    pub created_by: Option<i64>,
    pub updated_by: Option<i64>,
    /// Unix seconds, as the API speaks.
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    /// `None` leaves fields untouched; each listed field replaces its values.
    pub custom_fields_values: Option<Vec<FieldValueInput>>,
    /// Contacts only: link to a company (`Some(None)` unlinks).
    pub company_id: Option<Option<i64>>,
    /// `_embedded.tags`: replaces the set.
    pub tags: Option<Vec<TagRef>>,
    pub tags_to_add: Option<Vec<TagRef>>,
    pub tags_to_delete: Option<Vec<TagRef>>,
}

/// A card as read: with its tags and the earliest deadline of its open tasks (ms).
#[derive(Debug, Clone)]
pub struct CardView {
    pub card: Card,
    pub tags: Vec<Tag>,
    pub closest_task_at: Option<i64>,
}

/// What a write answers per item.
#[derive(Debug, Clone, PartialEq)]
pub struct CardRef {
    pub id: i64,
    pub request_id: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub page: i64,
    pub limit: i64,
    pub ids: Vec<i64>,
    pub responsible: Vec<i64>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub updated_from: Option<i64>,
    pub updated_to: Option<i64>,
    pub query: Option<String>,
    pub company_id: Option<i64>,
    /// `filter[custom_fields_values][ID]...`, through the typed value index.
    pub fields: Vec<RawFieldFilter>,
    /// Cards carrying any of these tags (`filter[tags][]`).
    pub tag_ids: Vec<i64>,
    pub order_by: OrderByField,
    pub desc: bool,
}

pub async fn field_defs(
    ctx: &Ctx,
    account: AccountId,
    kind: CardKind,
) -> Result<Vec<FieldDef>, ServiceError> {
    let mut c = ctx.db.conn().await?;
    Ok(custom_fields::list(&mut c, account, kind.plural()).await?)
}

pub async fn list(
    ctx: &Ctx,
    actor: &Actor,
    kind: CardKind,
    p: ListParams,
) -> Result<Page<CardView>, ServiceError> {
    let vis = actor.visibility(kind.entity_kind(), Action::View);
    let limit = p.limit.clamp(1, MAX_LIMIT);
    let page = p.page.max(1);
    let mut f = CardFilter {
        ids: p.ids,
        responsible: p.responsible,
        created_from: p.created_from.map(|s| s * 1000),
        created_to: p.created_to.map(|s| s * 1000 + 999),
        updated_from: p.updated_from.map(|s| s * 1000),
        updated_to: p.updated_to.map(|s| s * 1000 + 999),
        company_id: p.company_id,
        tag_ids: p.tag_ids,
        order_by: p.order_by,
        desc: p.desc,
        limit: limit + 1,
        offset: (page - 1) * limit,
        ..Default::default()
    };
    if let Some(q) = p.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if looks_like_phone(q) {
            f.phone_digits = Some(Phone::parse(q, &actor.account.country).digits);
        } else {
            f.text = Some(q.to_string());
        }
    }
    let mut c = ctx.db.conn().await?;
    if !p.fields.is_empty() {
        let defs = custom_fields::list(&mut c, actor.account.id, kind.plural()).await?;
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
    let mut items = cards::list(&mut c, actor.account.id, kind, &f, vis).await?;
    let has_next = items.len() as i64 > limit;
    items.truncate(limit as usize);
    Ok(Page {
        items: views(&mut c, actor, kind, items).await?,
        page,
        limit,
        has_next,
    })
}

/// A query is a phone number when it has enough digits and nothing but phone punctuation.
pub(crate) fn looks_like_phone(q: &str) -> bool {
    let digits = q.chars().filter(char::is_ascii_digit).count();
    digits >= sb_domain::phone::MIN_PHONE_DIGITS
        && q.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

/// Cards with what a read shows besides the row: their tags and `closest_task_at`.
async fn views(
    c: &mut impl sb_store::DbConn,
    actor: &Actor,
    kind: CardKind,
    items: Vec<Card>,
) -> Result<Vec<CardView>, ServiceError> {
    let ids: Vec<i64> = items.iter().map(|k| k.id).collect();
    let tag_rows = tags::for_entities(c, actor.account.id, kind.entity_kind(), &ids).await?;
    let mut by_card: HashMap<i64, Vec<Tag>> = HashMap::new();
    for (id, t) in tag_rows {
        by_card.entry(id).or_default().push(t);
    }
    let closest: HashMap<i64, i64> =
        sb_store::tasks::closest_open(c, actor.account.id, kind.entity_kind(), &ids)
            .await?
            .into_iter()
            .collect();
    Ok(items
        .into_iter()
        .map(|card| CardView {
            tags: by_card.remove(&card.id).unwrap_or_default(),
            closest_task_at: closest.get(&card.id).copied(),
            card,
        })
        .collect())
}

pub async fn get(
    ctx: &Ctx,
    actor: &Actor,
    kind: CardKind,
    id: i64,
) -> Result<CardView, ServiceError> {
    let vis = actor.visibility(kind.entity_kind(), Action::View);
    let mut c = ctx.db.conn().await?;
    let card = cards::get(&mut c, actor.account.id, kind, id, vis)
        .await?
        .ok_or(ServiceError::NotFound)?;
    views(&mut c, actor, kind, vec![card])
        .await?
        .pop()
        .ok_or(ServiceError::NotFound)
}

/// Caller lookup with the actor's rights: a manager only finds cards they may see.
pub async fn lookup_phone(
    ctx: &Ctx,
    actor: &Actor,
    raw: &str,
) -> Result<Vec<PhoneMatch>, ServiceError> {
    let vis = [
        actor.visibility(EntityKind::Contacts, Action::View),
        actor.visibility(EntityKind::Companies, Action::View),
    ];
    let phone = Phone::parse(raw, &actor.account.country);
    let mut c = ctx.db.conn().await?;
    Ok(cards::find_by_phone(&mut c, actor.account.id, vis, &phone).await?)
}

/// Caller lookup for telephony, acting as the system (every card of the account).
pub async fn find_by_phone(
    ctx: &Ctx,
    account: AccountId,
    raw: &str,
) -> Result<Vec<PhoneMatch>, ServiceError> {
    let mut c = ctx.db.conn().await?;
    let acc = accounts::get(&mut c, account)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let phone = Phone::parse(raw, &acc.country);
    Ok(cards::find_by_phone(&mut c, account, [Visibility::All; 2], &phone).await?)
}

/// The phones to index for a card, from its PHONE field values.
pub fn phones_of(defs: &[FieldDef], values: &[FieldValue], country: &str) -> Vec<CardPhone> {
    let mut out = Vec::new();
    for fv in values {
        if defs.iter().any(|d| d.id == fv.field_id && d.is_phone()) {
            for v in &fv.values {
                if let Some(s) = v.value.as_str() {
                    out.push(CardPhone {
                        phone: Phone::parse(s, country),
                        enum_code: v.enum_code.clone(),
                    });
                }
            }
        }
    }
    out
}

pub(crate) fn merge_fields(existing: &mut Vec<FieldValue>, new: Vec<FieldValue>) {
    for fv in new {
        existing.retain(|e| e.field_id != fv.field_id);
        if !fv.values.is_empty() {
            existing.push(fv);
        }
    }
}

fn display_name(name: Option<&str>, first: &str, last: &str, phones: &[CardPhone]) -> String {
    if let Some(n) = name.map(str::trim).filter(|n| !n.is_empty()) {
        return n.to_string();
    }
    let joined = format!("{first} {last}").trim().to_string();
    if !joined.is_empty() {
        return joined;
    }
    phones
        .first()
        .map(|p| p.phone.raw.clone())
        .unwrap_or_default()
}

struct Checks {
    defs: Vec<FieldDef>,
    users: HashMap<i64, Option<sb_domain::GroupId>>,
    companies: Vec<i64>,
    tags: HashMap<i64, Tag>,
}

async fn load_checks(
    ctx: &Ctx,
    actor: &Actor,
    kind: CardKind,
    items: &[CardInput],
) -> Result<Checks, ServiceError> {
    let mut c = ctx.db.conn().await?;
    let defs = custom_fields::list(&mut c, actor.account.id, kind.plural()).await?;
    let users = users::list(&mut c, actor.account.id)
        .await?
        .into_iter()
        .map(|u| (u.id.0, u.group_id))
        .collect();
    let company_ids: Vec<i64> = items
        .iter()
        .filter_map(|i| i.company_id.flatten())
        .collect();
    let vis = actor.visibility(EntityKind::Companies, Action::View);
    let companies = cards::get_many(
        &mut c,
        actor.account.id,
        CardKind::Company,
        &company_ids,
        vis,
    )
    .await?
    .into_iter()
    .map(|k| k.id)
    .collect();
    let tag_ids = crate::tags::ref_ids(items.iter().flat_map(|i| {
        i.tags
            .iter()
            .chain(i.tags_to_add.iter())
            .chain(i.tags_to_delete.iter())
            .flatten()
    }));
    let tags = crate::tags::known(&mut c, actor, kind.entity_kind(), &tag_ids).await?;
    Ok(Checks {
        defs,
        users,
        companies,
        tags,
    })
}

fn check_common(
    ck: &Checks,
    kind: CardKind,
    item: &CardInput,
    errors: &mut Vec<FieldError>,
) -> (Vec<FieldValue>, TagPlan) {
    let plan = crate::tags::plan(
        &ck.tags,
        item.tags.as_ref(),
        item.tags_to_add.as_ref(),
        item.tags_to_delete.as_ref(),
        errors,
    );
    for (path, v) in [
        ("responsible_user_id", item.responsible_user_id),
        ("created_by", item.created_by),
        ("updated_by", item.updated_by),
    ] {
        if let Some(u) = v {
            if u != 0 && !ck.users.contains_key(&u) {
                errors.push(FieldError::not_supported(path));
            }
        }
    }
    for (path, v) in [
        ("name", &item.name),
        ("first_name", &item.first_name),
        ("last_name", &item.last_name),
    ] {
        if v.as_deref().is_some_and(|s| s.chars().count() > 255) {
            errors.push(FieldError::new(
                "InvalidLength",
                path,
                "This value is too long: at most 255 characters.",
            ));
        }
    }
    if let Some(Some(cid)) = item.company_id {
        if kind == CardKind::Company {
            errors.push(FieldError::new(
                "NotSupportedChoice",
                "_embedded.companies",
                "A company cannot belong to a company.",
            ));
        } else if !ck.companies.contains(&cid) {
            errors.push(FieldError::not_supported("_embedded.companies.0.id"));
        }
    }
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
    (values, plan)
}

/// Creates a batch of cards: every item is valid and written, or nothing is.
pub async fn create(
    ctx: &Ctx,
    actor: &Actor,
    kind: CardKind,
    items: Vec<CardInput>,
) -> Result<Vec<CardRef>, ServiceError> {
    let prepared = prepare_create(ctx, actor, kind, items).await?;
    let mut rec = Recorder::new(ctx, actor);
    let mut tx = ctx.db.begin().await?;
    write_created(&mut tx, kind, &prepared.writes, &mut rec).await?;
    write_tags(&mut tx, ctx, actor, kind, &prepared.tags).await?;
    rec.write(&mut tx).await?;
    tx.commit().await?;
    Ok(prepared.refs)
}

/// Cards checked and built for a create, not yet written.
pub(crate) struct Prepared {
    pub writes: Vec<CardWrite>,
    pub refs: Vec<CardRef>,
    /// Tag changes by card id, for [`write_tags`].
    pub tags: Vec<(i64, TagPlan)>,
}

/// Applies checked tag changes of cards, in the caller's transaction.
pub(crate) async fn write_tags(
    tx: &mut sb_store::Tx,
    ctx: &Ctx,
    actor: &Actor,
    kind: CardKind,
    plans: &[(i64, TagPlan)],
) -> Result<(), ServiceError> {
    let now = ctx.now();
    for (id, plan) in plans {
        crate::tags::apply(tx, actor, kind.entity_kind(), *id, plan, now).await?;
    }
    Ok(())
}

/// Checks rights and every item of a create batch and builds the cards (with ids);
/// all items' errors are reported together.
pub(crate) async fn prepare_create(
    ctx: &Ctx,
    actor: &Actor,
    kind: CardKind,
    items: Vec<CardInput>,
) -> Result<Prepared, ServiceError> {
    check_may_add(actor, kind)?;
    check_batch_size(items.len())?;
    let ck = load_checks(ctx, actor, kind, &items).await?;
    let now = ctx.now();
    let mut prepared = Prepared {
        writes: Vec::with_capacity(items.len()),
        refs: Vec::with_capacity(items.len()),
        tags: Vec::new(),
    };
    let mut all_errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = Vec::new();
        let (values, plan) = check_common(&ck, kind, &item, &mut errors);
        if !errors.is_empty() {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
            continue;
        }
        let w = build_card(ctx, actor, kind, &ck, item, values, now);
        prepared.refs.push(CardRef {
            id: w.card.id,
            request_id: rid,
            updated_at: w.card.updated_at,
        });
        prepared.tags.push((w.card.id, plan));
        prepared.writes.push(w);
    }
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    Ok(prepared)
}

fn check_may_add(actor: &Actor, kind: CardKind) -> Result<(), ServiceError> {
    if actor.can(kind.entity_kind(), Action::Add) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!(
            "you may not add {}",
            kind.plural()
        )))
    }
}

/// A new card (with its id) from a checked item (`values`: its checked custom fields),
/// and the phones to index for it. Unnamed users are the caller; times default to now.
fn build_card(
    ctx: &Ctx,
    actor: &Actor,
    kind: CardKind,
    ck: &Checks,
    item: CardInput,
    values: Vec<FieldValue>,
    now: i64,
) -> CardWrite {
    let phones = phones_of(&ck.defs, &values, &actor.account.country);
    let first = item.first_name.unwrap_or_default().trim().to_string();
    let last = item.last_name.unwrap_or_default().trim().to_string();
    let mut custom = Vec::new();
    merge_fields(&mut custom, values);
    let created_at = item.created_at.map(|s| s * 1000).unwrap_or(now);
    let card = Card {
        id: ctx.next_id(),
        kind,
        account_id: actor.account.id,
        name: display_name(item.name.as_deref(), &first, &last, &phones),
        first_name: first,
        last_name: last,
        responsible_user_id: Some(or_actor(item.responsible_user_id, actor)),
        company_id: item.company_id.flatten().map(CompanyId),
        created_by: or_actor(item.created_by, actor),
        updated_by: or_actor(item.updated_by, actor),
        created_at,
        updated_at: item
            .updated_at
            .map(|s| s * 1000)
            .unwrap_or(created_at.max(now)),
        is_deleted: false,
        custom_fields: custom,
    };
    CardWrite { card, phones }
}

/// Writes prepared cards with their phone and field-value indexes, and records their
/// events, in the caller's transaction.
pub(crate) async fn write_created(
    tx: &mut sb_store::Tx,
    kind: CardKind,
    writes: &[CardWrite],
    rec: &mut Recorder<'_>,
) -> Result<(), ServiceError> {
    let Some(first) = writes.first() else {
        return Ok(());
    };
    let account = first.card.account_id;
    cards::insert_many(tx, kind, writes).await?;
    let values: Vec<(i64, &[FieldValue])> = writes
        .iter()
        .map(|w| (w.card.id, w.card.custom_fields.as_slice()))
        .collect();
    field_values::insert_many(tx, account, ValueOwner::from(kind), &values).await?;
    for w in writes {
        let k = &w.card;
        rec.added(
            kind.entity_kind(),
            k.id,
            json!([{ kind.singular(): { "id": k.id, "name": k.name } }]),
        );
        if let Some(c) = k.company_id {
            rec.link(true, kind.entity_kind(), k.id, EntityKind::Companies, c.0);
        }
    }
    Ok(())
}

pub(crate) fn check_batch_size(n: usize) -> Result<(), ServiceError> {
    if n == 0 {
        return Err(ServiceError::BadRequest(
            "the request body must be a non-empty array".into(),
        ));
    }
    if n > MAX_BATCH {
        return Err(ServiceError::BadRequest(format!(
            "a batch holds at most {MAX_BATCH} items, this one has {n}"
        )));
    }
    Ok(())
}

/// Updates a batch of cards (each item names its `id`): all or nothing. Unknown ids,
/// ids of another account and ids outside the caller's view scope get the same answer.
///
/// The cards are read inside the write transaction (see [`cards::lock_many`]): two
/// concurrent updates of one card take turns, and the second builds on what the first
/// wrote instead of writing the fields the first changed back.
pub async fn update(
    ctx: &Ctx,
    actor: &Actor,
    kind: CardKind,
    items: Vec<CardInput>,
) -> Result<Vec<CardRef>, ServiceError> {
    check_batch_size(items.len())?;
    let ck = load_checks(ctx, actor, kind, &items).await?;
    let mut tx = ctx.db.begin().await?;
    let existing = lock_existing(&mut tx, actor, kind, &items).await?;
    let planned = plan_updates(ctx, actor, kind, &ck, items, existing)?;
    let mut rec = Recorder::new(ctx, actor);
    record_updates(&mut rec, kind, &planned);
    write_updates(&mut tx, actor, kind, &planned.writes).await?;
    write_tags(&mut tx, ctx, actor, kind, &planned.tags).await?;
    rec.write(&mut tx).await?;
    tx.commit().await?;
    Ok(planned.refs)
}

/// Deletes one contact or company: the caller must see it and hold the delete right
/// over its responsible user. It leaves lists, search and caller ID at once (a call
/// from its number is then a stranger's); a `*_deleted` event is written in the same
/// transaction. An unknown or invisible id is [`ServiceError::NotFound`].
pub async fn delete(ctx: &Ctx, actor: &Actor, kind: CardKind, id: i64) -> Result<(), ServiceError> {
    let view = actor.visibility(kind.entity_kind(), Action::View);
    let mut tx = ctx.db.begin().await?;
    let card = cards::lock_many(&mut tx, actor.account.id, kind, &[id], view)
        .await?
        .pop()
        .ok_or(ServiceError::NotFound)?;
    let owner = card.responsible_user_id;
    if !actor
        .covers_owner(&mut tx, kind.entity_kind(), Action::Delete, owner)
        .await?
    {
        return Err(ServiceError::Forbidden(format!(
            "you may not delete {} {id}",
            kind.singular()
        )));
    }
    cards::delete(
        &mut tx,
        actor.account.id,
        kind,
        &[id],
        actor.user.id,
        ctx.now(),
    )
    .await?;
    let event = match kind {
        CardKind::Contact => crate::events::EventKind::ContactDeleted,
        CardKind::Company => crate::events::EventKind::CompanyDeleted,
    };
    let mut rec = Recorder::new(ctx, actor);
    rec.record(event, kind.entity_kind(), id, json!([]), json!([]));
    rec.write(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The cards a batch names that the caller may see, by id, read and held in `tx`.
async fn lock_existing(
    tx: &mut sb_store::Tx,
    actor: &Actor,
    kind: CardKind,
    items: &[CardInput],
) -> Result<HashMap<i64, Card>, ServiceError> {
    let view = actor.visibility(kind.entity_kind(), Action::View);
    let ids: Vec<i64> = items.iter().filter_map(|i| i.id).collect();
    Ok(cards::lock_many(tx, actor.account.id, kind, &ids, view)
        .await?
        .into_iter()
        .map(|k| (k.id, k))
        .collect())
}

/// An update batch checked and applied to the cards, not yet written.
#[derive(Default)]
struct PlannedUpdates {
    /// One per card (a card named twice is changed by both items, in order).
    writes: Vec<CardWrite>,
    /// The card as it was before this batch, parallel to `writes` (for events).
    originals: Vec<Card>,
    refs: Vec<CardRef>,
    /// Applied in item order, so a later item's tag change of the same card wins.
    tags: Vec<(i64, TagPlan)>,
}

impl PlannedUpdates {
    /// The card as the batch left it so far, else as stored.
    fn current(&self, existing: &HashMap<i64, Card>, id: i64) -> Option<Card> {
        self.writes
            .iter()
            .rev()
            .find(|w| w.card.id == id)
            .map(|w| w.card.clone())
            .or_else(|| existing.get(&id).cloned())
    }

    /// Keeps `w` as the card's one write; `before` is the card before this item.
    fn replace(&mut self, w: CardWrite, before: Card) {
        let original = match self.writes.iter().position(|x| x.card.id == w.card.id) {
            Some(p) => {
                self.writes.remove(p);
                self.originals.remove(p)
            }
            None => before,
        };
        self.writes.push(w);
        self.originals.push(original);
    }
}

/// Checks rights and every item against the cards as stored (and as earlier items of
/// the batch changed them) and applies the changes; all items' errors are reported
/// together, a card the caller may not edit ends the batch at once.
fn plan_updates(
    ctx: &Ctx,
    actor: &Actor,
    kind: CardKind,
    ck: &Checks,
    items: Vec<CardInput>,
    existing: HashMap<i64, Card>,
) -> Result<PlannedUpdates, ServiceError> {
    let now = ctx.now();
    let mut planned = PlannedUpdates::default();
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
        let Some(current) = planned.current(&existing, id) else {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors: vec![FieldError::new("NotFound", "id", "Entity not found.")],
            });
            continue;
        };
        check_may_edit(actor, kind, ck, &current)?;
        let mut errors = Vec::new();
        let (values, plan) = check_common(ck, kind, &item, &mut errors);
        if !errors.is_empty() {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
            continue;
        }
        planned.tags.push((id, plan));
        let w = apply_changes(actor, ck, current.clone(), item, values, now);
        planned.refs.push(CardRef {
            id,
            request_id: rid,
            updated_at: w.card.updated_at,
        });
        planned.replace(w, current);
    }
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    Ok(planned)
}

/// Refuses a card outside the caller's edit scope.
fn check_may_edit(
    actor: &Actor,
    kind: CardKind,
    ck: &Checks,
    card: &Card,
) -> Result<(), ServiceError> {
    let edit = actor.visibility(kind.entity_kind(), Action::Edit);
    let owner_group = card
        .responsible_user_id
        .and_then(|u| ck.users.get(&u.0).copied().flatten());
    if edit.covers(card.responsible_user_id, owner_group) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!(
            "you may not edit {} {}",
            kind.singular(),
            card.id
        )))
    }
}

/// The card with a checked item's changes (`values`: its checked custom fields), and
/// the phones to index for it.
fn apply_changes(
    actor: &Actor,
    ck: &Checks,
    mut card: Card,
    item: CardInput,
    values: Vec<FieldValue>,
    now: i64,
) -> CardWrite {
    if let Some(f) = item.first_name {
        card.first_name = f.trim().to_string();
    }
    if let Some(l) = item.last_name {
        card.last_name = l.trim().to_string();
    }
    if item.custom_fields_values.is_some() {
        merge_fields(&mut card.custom_fields, values);
    }
    let phones = phones_of(&ck.defs, &card.custom_fields, &actor.account.country);
    if item.name.is_some() {
        card.name = display_name(
            item.name.as_deref(),
            &card.first_name,
            &card.last_name,
            &phones,
        );
    }
    if let Some(u) = item.responsible_user_id.filter(|u| *u != 0) {
        card.responsible_user_id = Some(UserId(u));
    }
    if let Some(link) = item.company_id {
        card.company_id = link.map(CompanyId);
    }
    card.updated_by = or_actor(item.updated_by, actor);
    card.updated_at = item.updated_at.map(|s| s * 1000).unwrap_or(now);
    CardWrite { card, phones }
}

/// The user a write names (0 or none: the caller).
fn or_actor(v: Option<i64>, actor: &Actor) -> UserId {
    UserId(v.filter(|u| *u != 0).unwrap_or(actor.user.id.0))
}

/// The events of an update: what changed on each card against how it was before.
fn record_updates(rec: &mut Recorder<'_>, kind: CardKind, planned: &PlannedUpdates) {
    let ek = kind.entity_kind();
    for (w, old) in planned.writes.iter().zip(&planned.originals) {
        let k = &w.card;
        rec.name(ek, k.id, &old.name, &k.name);
        rec.responsible(ek, k.id, old.responsible_user_id, k.responsible_user_id);
        rec.fields(ek, k.id, &old.custom_fields, &k.custom_fields);
        if old.company_id != k.company_id {
            if let Some(c) = old.company_id {
                rec.link(false, ek, k.id, EntityKind::Companies, c.0);
            }
            if let Some(c) = k.company_id {
                rec.link(true, ek, k.id, EntityKind::Companies, c.0);
            }
        }
    }
}

/// Rewrites updated cards with their phone and field-value indexes.
async fn write_updates(
    tx: &mut sb_store::Tx,
    actor: &Actor,
    kind: CardKind,
    writes: &[CardWrite],
) -> Result<(), ServiceError> {
    for w in writes {
        cards::update(tx, w).await?;
        field_values::rewrite(
            tx,
            actor.account.id,
            ValueOwner::from(kind),
            w.card.id,
            &w.card.custom_fields,
        )
        .await?;
    }
    Ok(())
}
