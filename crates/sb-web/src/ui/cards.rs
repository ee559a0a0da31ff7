//! Pages shared by contacts and companies (`ui/contacts.rs`, `ui/companies.rs`), as the
//! service shares `sb_service::cards`: the list with its filters and columns, the card
//! with its fields and links, and the create/edit form. Every read and write goes
//! through the same service functions the API's `/api/v4/{contacts,companies}` calls.

use super::fields::{
    self, display, every, first, joined, number_text, FieldChoice, FieldForm, Pairs, Prop, Shown,
};
use super::{page, FormErrors, Layout, OrFail, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Router};
use sb_domain::entities::{Card, CardKind};
use sb_domain::fields::{FieldDef, FieldValue};
use sb_domain::Action;
use sb_service::cards::{CardInput, CardView, ListParams, OrderByField};
use sb_service::links::LinkInput;
use sb_service::tags::TagRef;

/// The routes of one card kind under `/contacts` or `/companies`.
pub fn router(kind: CardKind) -> Router<AppState> {
    let base = format!("/{}", kind.plural());
    Router::new()
        .route(
            &base,
            get(move |ui: Ui, q: Query<Pairs>| list(kind, ui, q))
                .post(move |ui: Ui, f: Form<Pairs>| create(kind, ui, f)),
        )
        .route(
            &format!("{base}/new"),
            get(move |ui: Ui, q: Query<Pairs>| new_form(kind, ui, q)),
        )
        .route(
            &format!("{base}/{{id}}"),
            get(move |ui: Ui, id: Path<String>, q: Query<Pairs>| show(kind, ui, id, q))
                .post(move |ui: Ui, id: Path<String>, f: Form<Pairs>| update(kind, ui, id, f)),
        )
        .route(
            &format!("{base}/{{id}}/edit"),
            get(move |ui: Ui, id: Path<String>| edit_form(kind, ui, id)),
        )
        .route(
            &format!("{base}/{{id}}/delete"),
            post(move |ui: Ui, id: Path<String>| delete(kind, ui, id)),
        )
        .route(
            &format!("{base}/{{id}}/link"),
            post(move |ui: Ui, id: Path<String>, f: Form<Pairs>| relink(kind, true, ui, id, f)),
        )
        .route(
            &format!("{base}/{{id}}/unlink"),
            post(move |ui: Ui, id: Path<String>, f: Form<Pairs>| relink(kind, false, ui, id, f)),
        )
}

/// A card's id from its address; anything but a number is the same 404 as an unknown id.
fn card_id(ui: &Ui, raw: &str) -> Result<i64, super::UiFail> {
    raw.parse()
        .map_err(|_| ui.fail(sb_service::ServiceError::NotFound))
}

/// The strings that differ between contacts and companies.
pub struct KindText {
    pub base: &'static str,
    /// `contacts` or `companies`, for `l.can(…)`.
    pub entity: &'static str,
    pub title: String,
    pub new: String,
    pub edit: String,
    pub empty: String,
    /// The question asked before a delete.
    pub delete_confirm: String,
}

impl KindText {
    fn of(kind: CardKind, ui: &Ui) -> KindText {
        let t = |k: &str| ui.tr.t(k);
        match kind {
            CardKind::Contact => KindText {
                base: "/contacts",
                entity: "contacts",
                title: t("contacts-title"),
                new: t("contacts-new"),
                edit: t("contacts-edit"),
                empty: t("contacts-empty"),
                delete_confirm: t("contacts-delete-confirm"),
            },
            CardKind::Company => KindText {
                base: "/companies",
                entity: "companies",
                title: t("companies-title"),
                new: t("companies-new"),
                edit: t("companies-edit"),
                empty: t("companies-empty"),
                delete_confirm: t("companies-delete-confirm"),
            },
        }
    }
}

fn values_of<'a>(card: &'a Card, def: &FieldDef) -> Option<&'a FieldValue> {
    card.custom_fields.iter().find(|f| f.field_id == def.id)
}

/// Users of the account by id (names for "responsible", groups for edit rights).
async fn users(ui: &Ui) -> Result<Vec<sb_domain::entities::User>, super::UiFail> {
    sb_service::users::list(ui.ctx(), &ui.actor)
        .await
        .or_fail(ui)
}

fn user_name(users: &[sb_domain::entities::User], id: Option<sb_domain::UserId>) -> String {
    id.and_then(|id| users.iter().find(|u| u.id == id))
        .map(|u| u.name.clone())
        .unwrap_or_default()
}

/// Whether the user may `action` (edit, delete) this card: their scope for it covers
/// its owner. The button is hidden when not, and the service refuses anyway.
fn may(
    ui: &Ui,
    action: Action,
    kind: CardKind,
    users: &[sb_domain::entities::User],
    card: &Card,
) -> bool {
    let group = card
        .responsible_user_id
        .and_then(|id| users.iter().find(|u| u.id == id))
        .and_then(|u| u.group_id);
    ui.actor
        .visibility(kind.entity_kind(), action)
        .covers(card.responsible_user_id, group)
}

/// Deletes the card (after the browser's confirmation) and goes back to the list.
async fn delete(kind: CardKind, ui: Ui, Path(raw): Path<String>) -> UiResult {
    let id = card_id(&ui, &raw)?;
    sb_service::cards::delete(ui.ctx(), &ui.actor, kind, id)
        .await
        .or_fail(&ui)?;
    Ok(ui.redirect(&format!("/{}", kind.plural())))
}

// ---------------------------------------------------------------------------------
// The list

pub struct Row {
    pub id: i64,
    pub name: String,
    pub phones: Vec<Shown>,
    pub emails: Vec<Shown>,
    pub responsible: String,
    pub tags: Vec<String>,
    pub cells: Vec<String>,
    pub updated: String,
}

/// A custom field offered as a column and as a filter.
#[derive(Template)]
#[template(path = "cards/list.html")]
struct ListPage {
    l: Layout,
    k: KindText,
    rows: Vec<Row>,
    /// The chosen custom columns' names.
    columns: Vec<String>,
    fields: Vec<FieldChoice>,
    users: Vec<(i64, String)>,
    tags: Vec<(i64, String)>,
    q: String,
    responsible: String,
    tag: String,
    created_from: String,
    created_to: String,
    updated_from: String,
    updated_to: String,
    sort: String,
    dir: String,
    limit: i64,
    page: i64,
    prev: Option<String>,
    next: Option<String>,
    filtered: bool,
}

impl ListPage {
    fn page_label(&self) -> String {
        self.l.t1("cards-page", "page", self.page)
    }
}

const SORTS: [&str; 3] = ["name", "created", "updated"];
const LIMITS: [i64; 4] = [25, 50, 100, 250];

/// The list's address with `page` set to `n` (other parameters kept).
fn with_page(base: &str, q: &Pairs, n: i64) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in q.iter().filter(|(k, _)| k != "page") {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    if n > 1 {
        s.append_pair("page", &n.to_string());
    }
    let qs = s.finish();
    if qs.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{qs}")
    }
}

async fn list(kind: CardKind, ui: Ui, Query(q): Query<Pairs>) -> UiResult {
    let k = KindText::of(kind, &ui);
    let mut l = ui.layout(k.entity);
    let defs = sb_service::cards::field_defs(ui.ctx(), ui.actor.account.id, kind)
        .await
        .or_fail(&ui)?;
    let date_s = |key: &str, end: bool| {
        l.fmt
            .parse_input_date(first(&q, key), end)
            .map(|ms| ms.div_euclid(1000))
    };
    let sort = match first(&q, "sort") {
        s if SORTS.contains(&s) => s.to_string(),
        _ => "updated".to_string(),
    };
    let dir = if first(&q, "dir") == "asc" {
        "asc"
    } else {
        "desc"
    };
    let limit = first(&q, "limit")
        .parse::<i64>()
        .ok()
        .filter(|n| LIMITS.contains(n))
        .unwrap_or(50);
    let page_no = first(&q, "page").parse::<i64>().unwrap_or(1).max(1);
    let cols: Vec<i64> = every(&q, "cols")
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let phone_def = defs.iter().find(|d| d.is_phone());
    let email_def = defs.iter().find(|d| d.code.as_deref() == Some("EMAIL"));
    let filterable: Vec<&FieldDef> = defs
        .iter()
        .filter(|d| !d.is_phone() && d.code.as_deref() != Some("EMAIL"))
        .collect();
    let (choices, field_filters) = fields::list_filters(&l, &filterable, &q, &cols);
    let ids = |key: &str| -> Vec<i64> { first(&q, key).parse().ok().into_iter().collect() };
    let query = first(&q, "q").to_string();
    let p = ListParams {
        page: page_no,
        limit,
        responsible: ids("responsible"),
        tag_ids: ids("tag"),
        created_from: date_s("created_from", false),
        created_to: date_s("created_to", true),
        updated_from: date_s("updated_from", false),
        updated_to: date_s("updated_to", true),
        query: Some(query.clone()).filter(|s| !s.is_empty()),
        fields: field_filters,
        order_by: match sort.as_str() {
            "name" => OrderByField::Name,
            "created" => OrderByField::CreatedAt,
            _ => OrderByField::UpdatedAt,
        },
        desc: dir == "desc",
        ..Default::default()
    };
    let filtered = p.query.is_some()
        || !p.responsible.is_empty()
        || !p.tag_ids.is_empty()
        || p.created_from.is_some()
        || p.created_to.is_some()
        || p.updated_from.is_some()
        || p.updated_to.is_some()
        || !p.fields.is_empty();
    let result = sb_service::cards::list(ui.ctx(), &ui.actor, kind, p)
        .await
        .or_fail(&ui)?;
    let users = users(&ui).await?;
    let tags = sb_service::tags::list(
        ui.ctx(),
        &ui.actor,
        kind.entity_kind(),
        sb_service::tags::ListParams {
            page: 1,
            limit: 250,
            ..Default::default()
        },
    )
    .await
    .or_fail(&ui)?;
    let shown_defs: Vec<&FieldDef> = defs.iter().filter(|d| cols.contains(&d.id.0)).collect();
    let rows = result
        .items
        .iter()
        .map(|v| {
            let c = &v.card;
            let show = |d: Option<&FieldDef>| -> Vec<Shown> {
                d.and_then(|d| values_of(c, d).map(|fv| display(&ui, &l, d, fv)))
                    .unwrap_or_default()
            };
            Row {
                id: c.id,
                name: c.name.clone(),
                phones: show(phone_def),
                emails: show(email_def),
                responsible: user_name(&users, c.responsible_user_id),
                tags: v.tags.iter().map(|t| t.name.clone()).collect(),
                cells: shown_defs.iter().map(|d| joined(&show(Some(d)))).collect(),
                updated: l.date(c.updated_at),
            }
        })
        .collect();
    let base = k.base;
    l.query = String::new();
    Ok(page(&ListPage {
        prev: (result.page > 1).then(|| with_page(base, &q, result.page - 1)),
        next: result
            .has_next
            .then(|| with_page(base, &q, result.page + 1)),
        page: result.page,
        rows,
        columns: shown_defs.iter().map(|d| d.name.clone()).collect(),
        fields: choices,
        users: users
            .iter()
            .filter(|u| u.is_active)
            .map(|u| (u.id.0, u.name.clone()))
            .collect(),
        tags: tags
            .items
            .iter()
            .map(|t| (t.id.0, t.name.clone()))
            .collect(),
        q: query,
        responsible: first(&q, "responsible").to_string(),
        tag: first(&q, "tag").to_string(),
        created_from: first(&q, "created_from").to_string(),
        created_to: first(&q, "created_to").to_string(),
        updated_from: first(&q, "updated_from").to_string(),
        updated_to: first(&q, "updated_to").to_string(),
        sort,
        dir: dir.to_string(),
        limit,
        filtered,
        l,
        k,
    }))
}

// ---------------------------------------------------------------------------------
// The card

pub struct Linked {
    pub id: i64,
    pub name: String,
    pub href: String,
}

pub struct LinkGroup {
    /// `contacts`, `companies` or `leads`: the link form's `to_type`.
    pub to_type: &'static str,
    pub title: String,
    pub items: Vec<Linked>,
}

#[derive(Template)]
#[template(path = "cards/show.html")]
struct CardPage {
    l: Layout,
    k: KindText,
    id: i64,
    name: String,
    responsible: String,
    tags: Vec<String>,
    props: Vec<Prop>,
    created: String,
    updated: String,
    may_edit: bool,
    may_delete: bool,
    groups: Vec<LinkGroup>,
    /// The link search: the kind searched, what was typed, and what it found.
    link_to: String,
    link_q: String,
    candidates: Option<Vec<Linked>>,
}

fn link_kinds(kind: CardKind) -> [&'static str; 2] {
    match kind {
        CardKind::Contact => ["companies", "leads"],
        CardKind::Company => ["contacts", "leads"],
    }
}

fn group_title(ui: &Ui, to: &str) -> String {
    match to {
        "contacts" => ui.tr.t("cards-linked-contacts"),
        "companies" => ui.tr.t("cards-linked-companies"),
        _ => ui.tr.t("cards-linked-leads"),
    }
}

/// Names and addresses of contacts, companies or leads by id, as the user may see them.
async fn named(
    ui: &Ui,
    to: &str,
    ids: Vec<i64>,
    query: Option<String>,
) -> Result<Vec<Linked>, super::UiFail> {
    if ids.is_empty() && query.is_none() {
        return Ok(vec![]);
    }
    let limit = if query.is_some() { 10 } else { 250 };
    if to == "leads" {
        let page = sb_service::leads::list(
            ui.ctx(),
            &ui.actor,
            sb_service::leads::ListParams {
                page: 1,
                limit,
                ids,
                query,
                ..Default::default()
            },
        )
        .await
        .or_fail(ui)?;
        return Ok(page
            .items
            .into_iter()
            .map(|v| Linked {
                id: v.lead.id.0,
                href: format!("/leads/{}", v.lead.id.0),
                name: v.lead.name,
            })
            .collect());
    }
    let kind = if to == "contacts" {
        CardKind::Contact
    } else {
        CardKind::Company
    };
    let page = sb_service::cards::list(
        ui.ctx(),
        &ui.actor,
        kind,
        ListParams {
            page: 1,
            limit,
            ids,
            query,
            order_by: OrderByField::Name,
            ..Default::default()
        },
    )
    .await
    .or_fail(ui)?;
    Ok(page
        .items
        .into_iter()
        .map(|v| Linked {
            id: v.card.id,
            href: format!("/{}/{}", kind.plural(), v.card.id),
            name: v.card.name,
        })
        .collect())
}

async fn show(kind: CardKind, ui: Ui, Path(raw): Path<String>, Query(q): Query<Pairs>) -> UiResult {
    let id = card_id(&ui, &raw)?;
    let k = KindText::of(kind, &ui);
    let l = ui.layout(k.entity);
    let view = sb_service::cards::get(ui.ctx(), &ui.actor, kind, id)
        .await
        .or_fail(&ui)?;
    let defs = sb_service::cards::field_defs(ui.ctx(), ui.actor.account.id, kind)
        .await
        .or_fail(&ui)?;
    let users = users(&ui).await?;
    let c = &view.card;
    let props = fields::props(&ui, &l, &defs, &c.custom_fields);
    let links = sb_service::links::list(ui.ctx(), &ui.actor, kind.entity_kind(), id)
        .await
        .or_fail(&ui)?;
    let mut groups = Vec::new();
    for to in link_kinds(kind) {
        let ids: Vec<i64> = links
            .iter()
            .filter(|x| x.to_entity_type == to)
            .map(|x| x.to_entity_id)
            .collect();
        groups.push(LinkGroup {
            to_type: to,
            title: group_title(&ui, to),
            items: named(&ui, to, ids, None).await?,
        });
    }
    let may_edit = may(&ui, Action::Edit, kind, &users, c);
    let may_delete = may(&ui, Action::Delete, kind, &users, c);
    let link_to = first(&q, "link_to").to_string();
    let link_q = first(&q, "link_q").to_string();
    let candidates =
        if may_edit && link_kinds(kind).contains(&link_to.as_str()) && !link_q.is_empty() {
            let linked: Vec<i64> = links
                .iter()
                .filter(|x| x.to_entity_type == link_to)
                .map(|x| x.to_entity_id)
                .collect();
            let found = named(&ui, &link_to, vec![], Some(link_q.clone())).await?;
            Some(
                found
                    .into_iter()
                    .filter(|f| !linked.contains(&f.id))
                    .collect(),
            )
        } else {
            None
        };
    Ok(page(&CardPage {
        id,
        name: c.name.clone(),
        responsible: user_name(&users, c.responsible_user_id),
        tags: view.tags.iter().map(|t| t.name.clone()).collect(),
        props,
        created: l.datetime(c.created_at),
        updated: l.datetime(c.updated_at),
        may_edit,
        may_delete,
        groups,
        link_to,
        link_q,
        candidates,
        l,
        k,
    }))
}

async fn relink(
    kind: CardKind,
    add: bool,
    ui: Ui,
    Path(raw): Path<String>,
    Form(f): Form<Pairs>,
) -> UiResult {
    let id = card_id(&ui, &raw)?;
    let to = first(&f, "to_type");
    let input = LinkInput {
        to_entity_id: first(&f, "to_id").parse().ok(),
        to_entity_type: Some(to.to_string()),
        ..Default::default()
    };
    let ek = kind.entity_kind();
    if add {
        sb_service::links::link(ui.ctx(), &ui.actor, ek, id, vec![input])
            .await
            .or_fail(&ui)?;
    } else {
        sb_service::links::unlink(ui.ctx(), &ui.actor, ek, id, vec![input])
            .await
            .or_fail(&ui)?;
    }
    Ok(ui.redirect(&format!("/{}/{id}#links", kind.plural())))
}

// ---------------------------------------------------------------------------------
// The form

#[derive(Template)]
#[template(path = "cards/form.html")]
struct FormPage {
    l: Layout,
    k: KindText,
    title: String,
    action: String,
    cancel: String,
    is_contact: bool,
    name: String,
    first_name: String,
    last_name: String,
    responsible: i64,
    users: Vec<(i64, String)>,
    tags: String,
    fields: Vec<FieldForm>,
    errors: FormErrors,
}

fn tag_refs(s: &str) -> Vec<TagRef> {
    let mut seen: Vec<String> = Vec::new();
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .filter(|t| {
            let low = t.to_lowercase();
            let new = !seen.contains(&low);
            seen.push(low);
            new
        })
        .map(|t| TagRef {
            id: None,
            name: Some(t.to_string()),
        })
        .collect()
}

fn input_from(kind: CardKind, l: &Layout, defs: &[FieldDef], p: &Pairs) -> CardInput {
    let contact = kind == CardKind::Contact;
    CardInput {
        name: Some(first(p, "name").to_string()),
        first_name: contact.then(|| first(p, "first_name").to_string()),
        last_name: contact.then(|| first(p, "last_name").to_string()),
        responsible_user_id: first(p, "responsible").parse().ok(),
        custom_fields_values: Some(fields::inputs(l, defs, p)),
        tags: Some(tag_refs(first(p, "tags"))),
        ..Default::default()
    }
}

/// The users a card can be given to: the active ones, and whoever has it now (a
/// deactivated owner stays selected instead of the card moving on the next save).
async fn form_users(ui: &Ui, current: i64) -> Result<Vec<(i64, String)>, super::UiFail> {
    Ok(users(ui)
        .await?
        .into_iter()
        .filter(|u| u.is_active || u.id.0 == current)
        .map(|u| (u.id.0, u.name))
        .collect())
}

/// The new-card form; `?phone=` fills the phone in (the call pop-up's "create contact").
async fn new_form(kind: CardKind, ui: Ui, Query(q): Query<Pairs>) -> UiResult {
    let k = KindText::of(kind, &ui);
    let l = ui.layout(k.entity);
    let defs = sb_service::cards::field_defs(ui.ctx(), ui.actor.account.id, kind)
        .await
        .or_fail(&ui)?;
    let mut fields = fields::stored(&ui, &l, &defs, &[]);
    let phone = q
        .iter()
        .find(|(k, _)| k == "phone")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty());
    if let (Some(p), Some(i)) = (phone, defs.iter().position(|d| d.is_phone())) {
        if let Some(f) = fields.get_mut(i) {
            f.values.push(p);
            f.types.push(String::new());
        }
    }
    Ok(page(&FormPage {
        title: k.new.clone(),
        action: k.base.to_string(),
        cancel: k.base.to_string(),
        is_contact: kind == CardKind::Contact,
        name: String::new(),
        first_name: String::new(),
        last_name: String::new(),
        responsible: ui.actor.user.id.0,
        users: form_users(&ui, ui.actor.user.id.0).await?,
        tags: String::new(),
        fields,
        errors: FormErrors::none(),
        l,
        k,
    }))
}

async fn edit_form(kind: CardKind, ui: Ui, Path(raw): Path<String>) -> UiResult {
    let id = card_id(&ui, &raw)?;
    let k = KindText::of(kind, &ui);
    let l = ui.layout(k.entity);
    let view = sb_service::cards::get(ui.ctx(), &ui.actor, kind, id)
        .await
        .or_fail(&ui)?;
    let defs = sb_service::cards::field_defs(ui.ctx(), ui.actor.account.id, kind)
        .await
        .or_fail(&ui)?;
    let c = &view.card;
    Ok(page(&FormPage {
        title: k.edit.clone(),
        action: format!("{}/{id}", k.base),
        cancel: format!("{}/{id}", k.base),
        is_contact: kind == CardKind::Contact,
        name: c.name.clone(),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        responsible: c.responsible_user_id.map(|u| u.0).unwrap_or(0),
        users: form_users(&ui, c.responsible_user_id.map(|u| u.0).unwrap_or(0)).await?,
        tags: view
            .tags
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        fields: fields::stored(&ui, &l, &defs, &c.custom_fields),
        errors: FormErrors::none(),
        l,
        k,
    }))
}

/// Writes a create or an update; a refused input shows the form again, as typed,
/// with the service's messages beside the fields.
async fn save(kind: CardKind, ui: Ui, id: Option<i64>, f: Pairs) -> UiResult {
    let k = KindText::of(kind, &ui);
    let l = ui.layout(k.entity);
    let defs = sb_service::cards::field_defs(ui.ctx(), ui.actor.account.id, kind)
        .await
        .or_fail(&ui)?;
    let mut input = input_from(kind, &l, &defs, &f);
    let result = match id {
        None => {
            // A new card with no tags typed has none to write.
            if input.tags.as_ref().is_some_and(Vec::is_empty) {
                input.tags = None;
            }
            sb_service::cards::create(ui.ctx(), &ui.actor, kind, vec![input]).await
        }
        Some(id) => {
            input.id = Some(id);
            sb_service::cards::update(ui.ctx(), &ui.actor, kind, vec![input]).await
        }
    };
    let e = match result {
        Ok(refs) => {
            let to = refs.first().map(|r| r.id).or(id).unwrap_or(0);
            return Ok(ui.redirect(&format!("{}/{to}", k.base)));
        }
        Err(e) => e,
    };
    let Some(errors) = FormErrors::of(&e, &ui.tr) else {
        return Err(ui.fail(e));
    };
    let form = FormPage {
        title: if id.is_some() {
            k.edit.clone()
        } else {
            k.new.clone()
        },
        action: match id {
            Some(id) => format!("{}/{id}", k.base),
            None => k.base.to_string(),
        },
        cancel: match id {
            Some(id) => format!("{}/{id}", k.base),
            None => k.base.to_string(),
        },
        is_contact: kind == CardKind::Contact,
        name: first(&f, "name").to_string(),
        first_name: first(&f, "first_name").to_string(),
        last_name: first(&f, "last_name").to_string(),
        responsible: first(&f, "responsible").parse().unwrap_or(0),
        users: form_users(&ui, first(&f, "responsible").parse().unwrap_or(0)).await?,
        tags: first(&f, "tags").to_string(),
        fields: fields::typed(&ui, &defs, &f),
        errors,
        l,
        k,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&form)).into_response())
}

async fn create(kind: CardKind, ui: Ui, Form(f): Form<Pairs>) -> UiResult {
    save(kind, ui, None, f).await
}

async fn update(kind: CardKind, ui: Ui, Path(raw): Path<String>, Form(f): Form<Pairs>) -> UiResult {
    let id = card_id(&ui, &raw)?;
    save(kind, ui, Some(id), f).await
}

/// A card's first phone and e-mail as short text (search results).
pub fn contact_points(defs: &[FieldDef], v: &CardView) -> String {
    let mut out: Vec<String> = Vec::new();
    for d in defs
        .iter()
        .filter(|d| d.is_phone() || d.code.as_deref() == Some("EMAIL"))
    {
        if let Some(fv) = values_of(&v.card, d) {
            out.extend(fv.values.iter().map(|i| number_text(&i.value)));
        }
    }
    out.join(", ")
}
