//! Leads (C5, C6): the pipeline board (`/leads`, drag and drop with SortableJS and a
//! no-JS move form on every card, quick add per column), the list with filters
//! (`/leads/list`) and the lead's card (`/leads/{id}`: edit, custom fields, linked
//! contact and company, delete). Every change goes through the same sb-service
//! functions as `/api/v4/leads`; the service records the events and sets `closed_at`.

use super::fields::{self, FieldChoice, FieldForm, Pairs, Prop};
use super::{page, FormErrors, Layout, OrFail, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, RawForm, RawQuery};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use sb_domain::entities::CardKind;
use sb_domain::fields::FieldDef;
use sb_domain::pipelines::{Pipeline, StatusType};
use sb_domain::EntityKind;
use sb_service::cards::ListParams as CardListParams;
use sb_service::leads::{LeadInput, LeadView, ListParams, OrderByField, TagInput};
use sb_service::links::LinkInput;
use sb_service::{leads, ServiceError};
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/leads", get(board))
        .route("/leads/move", post(move_lead))
        .route("/leads/quick", post(quick_add))
        .route("/leads/list", get(list))
        .route("/leads/{id}", get(card))
        .route("/leads/{id}/edit", post(edit))
        .route("/leads/{id}/delete", post(delete))
        .route("/leads/{id}/link", post(link))
        .route("/leads/{id}/unlink", post(unlink))
}

/// Leads shown per board column; the list view (linked from the column) has the rest.
const COLUMN_LEADS: i64 = 50;
/// Leads per page of the list view.
const LIST_LIMIT: i64 = 50;

/// A form's or query's fields as sent, repeated keys kept (multiselects, checkboxes).
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(bytes: &[u8]) -> Fields {
        Fields(
            form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    /// The trimmed, non-empty value of `key`.
    fn text(&self, key: &str) -> Option<&str> {
        self.get(key).map(str::trim).filter(|v| !v.is_empty())
    }
    fn int(&self, key: &str) -> Option<i64> {
        self.text(key).and_then(|v| v.parse().ok())
    }
}

/// A price typed in major units ("1234.5", "1234,50") in minor units; `Err` when it is
/// not a number.
fn parse_price(s: &str) -> Result<Option<i64>, ()> {
    let s = s.trim().replace(',', ".");
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() < 1e15 => Ok(Some((v * 100.0).round() as i64)),
        _ => Err(()),
    }
}

/// A price in minor units as a number input's value.
fn price_input(minor: i64) -> String {
    if minor % 100 == 0 {
        (minor / 100).to_string()
    } else {
        format!("{:.2}", minor as f64 / 100.0)
    }
}

/// `pid:sid`, how stage selects name a stage (142 and 143 exist in every pipeline).
fn stage_key(pipeline: i64, status: i64) -> String {
    format!("{pipeline}:{status}")
}

fn parse_stage_key(s: &str) -> Option<(i64, i64)> {
    let (p, s) = s.trim().split_once(':')?;
    Some((p.parse().ok()?, s.parse().ok()?))
}

/// The CSS class giving a stage its colour (the palette is fixed, so every colour has
/// a class in app.css; inline styles are forbidden by the CSP).
fn color_class(color: &str) -> String {
    let hex: String = color
        .trim_start_matches('#')
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    format!("stage-{hex}")
}

/// One stage in a select.
pub struct StageOpt {
    pub key: String,
    pub name: String,
    pub selected: bool,
}

/// One pipeline's stages in a select (an `<optgroup>`).
pub struct StageGroup {
    pub name: String,
    pub stages: Vec<StageOpt>,
}

/// The stages a lead may be moved to (not the incoming stage, which only integrations
/// fill), grouped by pipeline; `current` is selected and kept even when incoming.
fn stage_groups(pipelines: &[Pipeline], current: Option<(i64, i64)>) -> Vec<StageGroup> {
    pipelines
        .iter()
        .map(|p| StageGroup {
            name: p.name.clone(),
            stages: p
                .statuses
                .iter()
                .filter(|s| {
                    s.status_type != StatusType::Incoming || current == Some((p.id.0, s.id.0))
                })
                .map(|s| StageOpt {
                    key: stage_key(p.id.0, s.id.0),
                    name: s.name.clone(),
                    selected: current == Some((p.id.0, s.id.0)),
                })
                .collect(),
        })
        .collect()
}

/// A user in a select.
pub struct UserOpt {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

async fn user_names(ui: &Ui) -> Result<HashMap<i64, (String, bool)>, super::UiFail> {
    Ok(sb_service::users::list(ui.ctx(), &ui.actor)
        .await
        .or_fail(ui)?
        .into_iter()
        .map(|u| (u.id.0, (u.name, u.is_active)))
        .collect())
}

fn user_opts(users: &HashMap<i64, (String, bool)>, selected: Option<i64>) -> Vec<UserOpt> {
    let mut v: Vec<UserOpt> = users
        .iter()
        .filter(|(id, (_, active))| *active || Some(**id) == selected)
        .map(|(id, (name, _))| UserOpt {
            id: *id,
            name: name.clone(),
            selected: Some(*id) == selected,
        })
        .collect();
    v.sort_by_key(|a| a.name.to_lowercase());
    v
}

/// What a lead card on the board shows.
pub struct BoardLead {
    pub id: i64,
    pub name: String,
    /// Whole units: `l.money` shows whole units (minor units are kept by the service).
    pub price: i64,
    pub contact: Option<String>,
    pub company: Option<String>,
    pub responsible: Option<String>,
    pub tags: Vec<String>,
    pub stage: String,
}

/// One board column: a stage with its figures, its first leads and the quick-add form.
pub struct Column {
    pub pipeline_id: i64,
    pub status_id: i64,
    pub key: String,
    pub name: String,
    pub color: String,
    pub closing: bool,
    pub count: i64,
    pub sum: i64,
    pub leads: Vec<BoardLead>,
    /// More leads than shown: the list view has them.
    pub more: bool,
    /// Refused quick-add input, shown in this column's form.
    pub errors: FormErrors,
    pub quick_name: String,
    pub quick_price: String,
}

impl Column {
    pub fn list_url(&self) -> String {
        format!("/leads/list?stage={}", self.key)
    }
}

pub struct PipeTab {
    pub id: i64,
    pub name: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "leads/board.html")]
struct BoardPage {
    l: Layout,
    pipelines: Vec<PipeTab>,
    pipeline_id: i64,
    pipeline_name: String,
    columns: Vec<Column>,
    /// Leads waiting in the incoming stage (the inbox has them).
    incoming: i64,
    moves: Vec<StageOpt>,
}

/// The answer to a quick add: the column again, with the new lead or the errors.
#[derive(Template)]
#[template(path = "leads/column_fragment.html")]
struct ColumnFragment {
    l: Layout,
    col: Column,
    moves: Vec<StageOpt>,
}

#[derive(Deserialize, Default)]
struct BoardQuery {
    #[serde(default)]
    pipeline: Option<String>,
}

/// The pipeline a request names (`?pipeline=`), else the main one.
fn chosen(pipelines: &[Pipeline], wanted: Option<i64>) -> Option<&Pipeline> {
    wanted
        .and_then(|w| pipelines.iter().find(|p| p.id.0 == w))
        .or_else(|| pipelines.iter().find(|p| p.is_main))
        .or_else(|| pipelines.first())
}

/// The names of the contacts and companies the views link to, as far as the user may
/// see them.
async fn card_names(
    ui: &Ui,
    kind: CardKind,
    ids: Vec<i64>,
) -> Result<HashMap<i64, String>, super::UiFail> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut ids = ids;
    ids.sort_unstable();
    ids.dedup();
    ids.truncate(sb_service::cards::MAX_LIMIT as usize);
    let p = CardListParams {
        page: 1,
        limit: ids.len() as i64,
        ids,
        ..Default::default()
    };
    Ok(sb_service::cards::list(ui.ctx(), &ui.actor, kind, p)
        .await
        .or_fail(ui)?
        .items
        .into_iter()
        .map(|v| (v.card.id, v.card.name))
        .collect())
}

/// Board cards for leads: their main contact's and company's names and the
/// responsible user's name.
async fn board_leads(
    ui: &Ui,
    items: Vec<LeadView>,
    users: &HashMap<i64, (String, bool)>,
    stage_names: &HashMap<(i64, i64), String>,
) -> Result<Vec<BoardLead>, super::UiFail> {
    let contact_ids = items.iter().filter_map(main_contact).collect::<Vec<_>>();
    let company_ids = items
        .iter()
        .filter_map(|v| v.lead.company_id.map(|c| c.0))
        .collect::<Vec<_>>();
    let contacts = card_names(ui, CardKind::Contact, contact_ids).await?;
    let companies = card_names(ui, CardKind::Company, company_ids).await?;
    Ok(items
        .into_iter()
        .map(|v| {
            let l = &v.lead;
            BoardLead {
                id: l.id.0,
                name: shown_name(&ui.tr, l.id.0, &l.name),
                price: l.price,
                contact: main_contact(&v).and_then(|c| contacts.get(&c).cloned()),
                company: l.company_id.and_then(|c| companies.get(&c.0).cloned()),
                responsible: l
                    .responsible_user_id
                    .and_then(|u| users.get(&u.0).map(|x| x.0.clone())),
                tags: v.tags.iter().map(|t| t.name.clone()).collect(),
                stage: stage_names
                    .get(&(l.pipeline_id.0, l.status_id.0))
                    .cloned()
                    .unwrap_or_default(),
            }
        })
        .collect())
}

fn main_contact(v: &LeadView) -> Option<i64> {
    let cs = v.contacts.as_ref()?;
    cs.iter()
        .find(|c| c.is_main)
        .or_else(|| cs.first())
        .map(|c| c.contact_id.0)
}

/// A lead without a name is shown as "Lead #id", as Kommo does.
fn shown_name(tr: &super::i18n::Tr, id: i64, name: &str) -> String {
    if name.trim().is_empty() {
        tr.t1("leads-unnamed", "id", id.to_string())
    } else {
        name.to_string()
    }
}

fn stage_names(pipelines: &[Pipeline]) -> HashMap<(i64, i64), String> {
    pipelines
        .iter()
        .flat_map(|p| {
            p.statuses
                .iter()
                .map(move |s| ((p.id.0, s.id.0), s.name.clone()))
        })
        .collect()
}

/// Builds one column: its figures and its first leads.
async fn column(
    ui: &Ui,
    p: &Pipeline,
    status: &sb_domain::pipelines::Status,
    totals: &[leads::StageTotal],
    users: &HashMap<i64, (String, bool)>,
    names: &HashMap<(i64, i64), String>,
) -> Result<Column, super::UiFail> {
    let t = totals.iter().find(|t| t.status_id == status.id).copied();
    let params = ListParams {
        page: 1,
        limit: COLUMN_LEADS,
        statuses: vec![(p.id.0, status.id.0)],
        with_contacts: true,
        order_by: OrderByField::Id,
        desc: true,
        ..Default::default()
    };
    let found = leads::list(ui.ctx(), &ui.actor, params).await.or_fail(ui)?;
    let more = found.has_next;
    let cards = board_leads(ui, found.items, users, names).await?;
    Ok(Column {
        pipeline_id: p.id.0,
        status_id: status.id.0,
        key: stage_key(p.id.0, status.id.0),
        name: status.name.clone(),
        color: color_class(&status.color),
        closing: status.is_closing(),
        count: t.map(|t| t.leads).unwrap_or(0),
        sum: t.map(|t| t.price).unwrap_or(0),
        leads: cards,
        more,
        errors: FormErrors::none(),
        quick_name: String::new(),
        quick_price: String::new(),
    })
}

/// The stages a card's move form offers: the pipeline's working and closing stages.
fn move_opts(p: &Pipeline) -> Vec<StageOpt> {
    p.statuses
        .iter()
        .filter(|s| s.status_type != StatusType::Incoming)
        .map(|s| StageOpt {
            key: s.id.0.to_string(),
            name: s.name.clone(),
            selected: false,
        })
        .collect()
}

async fn board(ui: Ui, Query(q): Query<BoardQuery>) -> UiResult {
    let pipelines = sb_service::pipelines::list(ui.ctx(), &ui.actor)
        .await
        .or_fail(&ui)?;
    let wanted = q.pipeline.as_deref().and_then(|s| s.trim().parse().ok());
    let Some(p) = chosen(&pipelines, wanted).cloned() else {
        return Err(ui.fail(ServiceError::NotFound));
    };
    let totals = leads::stage_totals(ui.ctx(), &ui.actor, p.id.0)
        .await
        .or_fail(&ui)?;
    let users = user_names(&ui).await?;
    let names = stage_names(&pipelines);
    let mut columns = Vec::new();
    let mut incoming = 0;
    // Regular stages in their order, then won and lost (their sorts put them last).
    for s in &p.statuses {
        if s.status_type == StatusType::Incoming {
            incoming = totals
                .iter()
                .find(|t| t.status_id == s.id)
                .map(|t| t.leads)
                .unwrap_or(0);
            continue;
        }
        columns.push(column(&ui, &p, s, &totals, &users, &names).await?);
    }
    Ok(page(&BoardPage {
        l: ui.layout("leads"),
        pipelines: pipelines
            .iter()
            .map(|x| PipeTab {
                id: x.id.0,
                name: x.name.clone(),
                current: x.id == p.id,
            })
            .collect(),
        pipeline_id: p.id.0,
        pipeline_name: p.name.clone(),
        moves: move_opts(&p),
        columns,
        incoming,
    }))
}

/// `POST /leads/move` (lead_id, status_id, optional pipeline_id): the board's drop
/// (app.js, answered 204) and every card's move form (answered with the board again).
async fn move_lead(ui: Ui, RawForm(body): RawForm) -> UiResult {
    let f = Fields::parse(&body);
    let (Some(lead_id), Some(status_id)) = (f.int("lead_id"), f.int("status_id")) else {
        return Err(ui.fail(ServiceError::BadRequest(ui.tr.t("leads-move-invalid"))));
    };
    let input = LeadInput {
        id: Some(lead_id),
        status_id: Some(status_id),
        pipeline_id: f.int("pipeline_id"),
        ..Default::default()
    };
    leads::update(ui.ctx(), &ui.actor, vec![input])
        .await
        .or_fail(&ui)?;
    match f.text("back") {
        Some(back) if back.starts_with('/') && !back.starts_with("//") => Ok(ui.redirect(back)),
        _ => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `POST /leads/quick` (pipeline_id, status_id, name, price): a new lead in a column.
/// htmx swaps the column with this answer; without JS the board is shown again.
async fn quick_add(ui: Ui, RawForm(body): RawForm) -> UiResult {
    let f = Fields::parse(&body);
    let (Some(pipeline_id), Some(status_id)) = (f.int("pipeline_id"), f.int("status_id")) else {
        return Err(ui.fail(ServiceError::BadRequest(ui.tr.t("leads-move-invalid"))));
    };
    let name = f.get("name").unwrap_or("").to_string();
    let price_raw = f.get("price").unwrap_or("").to_string();
    let mut errors = FormErrors::none();
    match parse_price(&price_raw) {
        Err(()) => errors = field_error("price", ui.tr.t("leads-error-price")),
        Ok(price) => {
            let input = LeadInput {
                name: Some(name.clone()),
                price,
                pipeline_id: Some(pipeline_id),
                status_id: Some(status_id),
                ..Default::default()
            };
            if let Err(e) = leads::create(ui.ctx(), &ui.actor, vec![input]).await {
                errors = ui.form_errors(e)?;
            }
        }
    }
    if !ui.htmx {
        if errors.is_empty() {
            return Ok(ui.redirect(&format!("/leads?pipeline={pipeline_id}")));
        }
        return Err(ui.fail(ServiceError::BadRequest(errors.all().join(" "))));
    }
    let pipelines = sb_service::pipelines::list(ui.ctx(), &ui.actor)
        .await
        .or_fail(&ui)?;
    let Some(p) = pipelines.iter().find(|p| p.id.0 == pipeline_id) else {
        return Err(ui.fail(ServiceError::NotFound));
    };
    let Some(s) = p.statuses.iter().find(|s| s.id.0 == status_id) else {
        return Err(ui.fail(ServiceError::NotFound));
    };
    let totals = leads::stage_totals(ui.ctx(), &ui.actor, p.id.0)
        .await
        .or_fail(&ui)?;
    let users = user_names(&ui).await?;
    let names = stage_names(&pipelines);
    let mut col = column(&ui, p, s, &totals, &users, &names).await?;
    if !errors.is_empty() {
        col.quick_name = name;
        col.quick_price = price_raw;
    }
    col.errors = errors;
    Ok(page(&ColumnFragment {
        l: ui.layout("leads"),
        moves: move_opts(p),
        col,
    }))
}

fn field_error(field: &str, msg: String) -> FormErrors {
    let mut e = FormErrors::none();
    e.0.push((field.to_string(), msg));
    e
}

// ---- The list ----

/// One row of the list.
pub struct Row {
    pub lead: BoardLead,
    pub created_at: i64,
    /// The chosen custom fields' values, one per column.
    pub cells: Vec<String>,
}

pub struct SortOpt {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

pub struct TagOpt {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "leads/list.html")]
struct ListPage {
    l: Layout,
    rows: Vec<Row>,
    q: String,
    users: Vec<UserOpt>,
    stages: Vec<StageGroup>,
    tags: Vec<TagOpt>,
    sorts: Vec<SortOpt>,
    created_from: String,
    created_to: String,
    price_from: String,
    price_to: String,
    page_no: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
    filtered: bool,
    errors: FormErrors,
    /// A filter and a column choice per custom field.
    fields: Vec<FieldChoice>,
    fields_filtered: bool,
    /// The chosen custom fields' names.
    columns: Vec<String>,
}

const SORTS: [(&str, OrderByField, bool, &str); 4] = [
    (
        "created_desc",
        OrderByField::CreatedAt,
        true,
        "leads-sort-newest",
    ),
    (
        "created_asc",
        OrderByField::CreatedAt,
        false,
        "leads-sort-oldest",
    ),
    (
        "updated_desc",
        OrderByField::UpdatedAt,
        true,
        "leads-sort-updated",
    ),
    ("id_asc", OrderByField::Id, false, "leads-sort-id"),
];

/// The list's URL with `page` replaced.
fn page_url(f: &Fields, page: i64) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &f.0 {
        if k != "page" && !v.trim().is_empty() {
            s.append_pair(k, v);
        }
    }
    s.append_pair("page", &page.to_string());
    format!("/leads/list?{}", s.finish())
}

async fn list(ui: Ui, RawQuery(raw): RawQuery) -> UiResult {
    let f = Fields::parse(raw.as_deref().unwrap_or("").as_bytes());
    let l = ui.layout("leads");
    let mut errors = FormErrors::none();
    let page_no = f.int("page").unwrap_or(1).max(1);
    let sort = f.text("sort").unwrap_or("created_desc");
    let (order_by, desc) = SORTS
        .iter()
        .find(|s| s.0 == sort)
        .map(|s| (s.1, s.2))
        .unwrap_or((OrderByField::CreatedAt, true));
    let stage = f.text("stage").and_then(parse_stage_key);
    let responsible = f.int("responsible");
    let tag = f.int("tag");
    let day = |key: &str, end: bool| -> Option<i64> {
        f.text(key)
            .and_then(|s| l.fmt.parse_input_date(s, end))
            .map(|ms| ms.div_euclid(1000))
    };
    let mut price = |key: &str| -> Option<i64> {
        match parse_price(f.get(key).unwrap_or("")) {
            Ok(v) => v,
            Err(()) => {
                errors
                    .0
                    .push((key.to_string(), ui.tr.t("leads-error-price")));
                None
            }
        }
    };
    let price_from = price("price_from");
    let price_to = price("price_to");
    let defs = leads::field_defs(ui.ctx(), &ui.actor).await.or_fail(&ui)?;
    let cols: Vec<i64> = fields::every(&f.0, "cols")
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let all_defs: Vec<&FieldDef> = defs.iter().collect();
    let (choices, field_filters) = fields::list_filters(&l, &all_defs, &f.0, &cols);
    let fields_filtered = !field_filters.is_empty();
    let params = ListParams {
        page: page_no,
        limit: LIST_LIMIT,
        statuses: stage.into_iter().collect(),
        responsible: responsible.into_iter().collect(),
        tag_ids: tag.into_iter().collect(),
        created_from: day("created_from", false),
        created_to: day("created_to", true),
        price_from,
        price_to,
        query: f.text("q").map(str::to_string),
        fields: field_filters,
        with_contacts: true,
        order_by,
        desc,
        ..Default::default()
    };
    let found = leads::list(ui.ctx(), &ui.actor, params)
        .await
        .or_fail(&ui)?;
    let pipelines = sb_service::pipelines::list(ui.ctx(), &ui.actor)
        .await
        .or_fail(&ui)?;
    let users = user_names(&ui).await?;
    let names = stage_names(&pipelines);
    let created: Vec<i64> = found.items.iter().map(|v| v.lead.created_at).collect();
    let shown_defs: Vec<&FieldDef> = defs.iter().filter(|d| cols.contains(&d.id.0)).collect();
    let cells: Vec<Vec<String>> = found
        .items
        .iter()
        .map(|v| {
            shown_defs
                .iter()
                .map(|d| fields::cell(&ui, &l, d, &v.lead.custom_fields))
                .collect()
        })
        .collect();
    let has_next = found.has_next;
    let cards = board_leads(&ui, found.items, &users, &names).await?;
    let tags = sb_service::tags::list(
        ui.ctx(),
        &ui.actor,
        EntityKind::Leads,
        sb_service::tags::ListParams {
            page: 1,
            limit: sb_service::cards::MAX_LIMIT,
            ..Default::default()
        },
    )
    .await
    .or_fail(&ui)?;
    let filtered = [
        "q",
        "stage",
        "responsible",
        "tag",
        "created_from",
        "created_to",
    ]
    .iter()
    .chain(["price_from", "price_to"].iter())
    .any(|k| f.text(k).is_some())
        || fields_filtered;
    Ok(page(&ListPage {
        rows: cards
            .into_iter()
            .zip(created)
            .zip(cells)
            .map(|((lead, created_at), cells)| Row {
                lead,
                created_at,
                cells,
            })
            .collect(),
        columns: shown_defs.iter().map(|d| d.name.clone()).collect(),
        fields: choices,
        fields_filtered,
        q: f.get("q").unwrap_or("").to_string(),
        users: user_opts(&users, responsible),
        stages: stage_groups(&pipelines, stage),
        tags: tags
            .items
            .iter()
            .map(|t| TagOpt {
                id: t.id.0,
                name: t.name.clone(),
                selected: Some(t.id.0) == tag,
            })
            .collect(),
        sorts: SORTS
            .iter()
            .map(|s| SortOpt {
                value: s.0,
                label: ui.tr.t(s.3),
                selected: s.0 == sort,
            })
            .collect(),
        created_from: f.get("created_from").unwrap_or("").to_string(),
        created_to: f.get("created_to").unwrap_or("").to_string(),
        price_from: f.get("price_from").unwrap_or("").to_string(),
        price_to: f.get("price_to").unwrap_or("").to_string(),
        page_no,
        prev_url: (page_no > 1).then(|| page_url(&f, page_no - 1)),
        next_url: has_next.then(|| page_url(&f, page_no + 1)),
        filtered,
        errors,
        l,
    }))
}

// ---- The card ----

pub struct Linked {
    pub id: i64,
    pub name: String,
    pub is_main: bool,
    /// A contact's phones, each with a call button on the lead's card.
    pub phones: Vec<String>,
}

/// The phones of a lead's contacts the user may see (the card's call buttons).
async fn phones_of_contacts(
    ui: &Ui,
    links: &[sb_domain::leads::LeadContact],
) -> Result<HashMap<i64, Vec<String>>, super::UiFail> {
    let mut out = HashMap::new();
    if links.is_empty() {
        return Ok(out);
    }
    let defs = sb_service::cards::field_defs(ui.ctx(), ui.actor.account.id, CardKind::Contact)
        .await
        .or_fail(ui)?;
    let Some(phone) = defs.iter().find(|d| d.is_phone()) else {
        return Ok(out);
    };
    for link in links {
        let id = link.contact_id.0;
        let Ok(v) = sb_service::cards::get(ui.ctx(), &ui.actor, CardKind::Contact, id).await else {
            continue;
        };
        let phones: Vec<String> = v
            .card
            .custom_fields
            .iter()
            .filter(|f| f.field_id == phone.id)
            .flat_map(|f| f.values.iter())
            .filter_map(|x| x.value.as_str().map(str::to_string))
            .collect();
        out.insert(id, phones);
    }
    Ok(out)
}

pub struct Found {
    pub kind: &'static str,
    pub id: i64,
    pub name: String,
}

#[derive(Template)]
#[template(path = "leads/card.html")]
struct CardPage {
    l: Layout,
    id: i64,
    name: String,
    /// The name as typed (empty for an unnamed lead), for the form.
    raw_name: String,
    price: i64,
    price_value: String,
    pipeline_id: i64,
    pipeline_name: String,
    stage_name: String,
    stage_color: String,
    stages: Vec<StageGroup>,
    responsible: Option<String>,
    users: Vec<UserOpt>,
    tags: Vec<String>,
    tags_value: String,
    /// The custom fields that hold something, as the card shows them.
    shown: Vec<Prop>,
    /// The edit form's custom-field inputs.
    fields: Vec<FieldForm>,
    contacts: Vec<Linked>,
    company: Option<Linked>,
    created_at: i64,
    updated_at: i64,
    closed_text: Option<String>,
    find: String,
    found: Vec<Found>,
    errors: FormErrors,
    saved: bool,
}

impl CardPage {
    /// Messages the form has no field for (or for fields of other forms).
    fn general_errors(&self) -> Vec<&str> {
        let mut shown = vec![
            "name",
            "price",
            "status_id",
            "pipeline_id",
            "responsible_user_id",
        ];
        shown.push("tags");
        shown.push("_embedded.tags");
        shown.push("custom_fields_values");
        let mut v = self.errors.others(&shown);
        v.retain(|m| {
            !self
                .fields
                .iter()
                .any(|f| self.errors.get(&f.error_key) == Some(*m))
        });
        v
    }
}

#[derive(Deserialize, Default)]
struct CardQuery {
    #[serde(default)]
    find: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

async fn card(ui: Ui, Path(id): Path<String>, Query(q): Query<CardQuery>) -> UiResult {
    let id = lead_id(&ui, &id)?;
    let find = q.find.unwrap_or_default();
    let mut p = card_page(&ui, id, FormErrors::none(), &find, None).await?;
    p.saved = q.saved.is_some();
    Ok(page(&p))
}

/// The lead's card; `typed` is a refused edit form, shown again as it was sent.
async fn card_page(
    ui: &Ui,
    id: i64,
    errors: FormErrors,
    find: &str,
    typed: Option<&Pairs>,
) -> Result<CardPage, super::UiFail> {
    let v = leads::get(ui.ctx(), &ui.actor, id, true)
        .await
        .or_fail(ui)?;
    let defs = leads::field_defs(ui.ctx(), &ui.actor).await.or_fail(ui)?;
    let pipelines = sb_service::pipelines::list(ui.ctx(), &ui.actor)
        .await
        .or_fail(ui)?;
    let users = user_names(ui).await?;
    let l = ui.layout("leads");
    let lead = &v.lead;
    let p = pipelines.iter().find(|p| p.id == lead.pipeline_id);
    let s = p.and_then(|p| p.status(lead.status_id));
    let contact_links = v.contacts.clone().unwrap_or_default();
    let contact_names = card_names(
        ui,
        CardKind::Contact,
        contact_links.iter().map(|c| c.contact_id.0).collect(),
    )
    .await?;
    let contact_phones = phones_of_contacts(ui, &contact_links).await?;
    let company = match lead.company_id {
        Some(c) => card_names(ui, CardKind::Company, vec![c.0])
            .await?
            .remove(&c.0)
            .map(|name| Linked {
                id: c.0,
                name,
                is_main: true,
                phones: Vec::new(),
            }),
        None => None,
    };
    let mut found = Vec::new();
    let find = find.trim();
    if !find.is_empty() && l.can("leads", "edit") {
        for (kind, label) in [
            (CardKind::Contact, "contacts"),
            (CardKind::Company, "companies"),
        ] {
            let r = sb_service::cards::list(
                ui.ctx(),
                &ui.actor,
                kind,
                CardListParams {
                    page: 1,
                    limit: 10,
                    query: Some(find.to_string()),
                    ..Default::default()
                },
            )
            .await
            .or_fail(ui)?;
            found.extend(r.items.into_iter().map(|c| Found {
                kind: label,
                id: c.card.id,
                name: c.card.name,
            }));
        }
    }
    let tags: Vec<String> = v.tags.iter().map(|t| t.name.clone()).collect();
    Ok(CardPage {
        id,
        name: shown_name(&ui.tr, id, &lead.name),
        raw_name: lead.name.clone(),
        price: lead.price,
        price_value: price_input(lead.price),
        pipeline_id: lead.pipeline_id.0,
        pipeline_name: p.map(|p| p.name.clone()).unwrap_or_default(),
        stage_name: s.map(|s| s.name.clone()).unwrap_or_default(),
        stage_color: s.map(|s| color_class(&s.color)).unwrap_or_default(),
        stages: stage_groups(&pipelines, Some((lead.pipeline_id.0, lead.status_id.0))),
        responsible: lead
            .responsible_user_id
            .and_then(|u| users.get(&u.0).map(|x| x.0.clone())),
        users: user_opts(&users, lead.responsible_user_id.map(|u| u.0)),
        tags_value: tags.join(", "),
        tags,
        shown: fields::props(ui, &l, &defs, &lead.custom_fields)
            .into_iter()
            .filter(|p| !p.values.is_empty())
            .collect(),
        fields: match typed {
            Some(p) => fields::typed(ui, &defs, p),
            None => fields::stored(ui, &l, &defs, &lead.custom_fields),
        },
        contacts: contact_links
            .iter()
            .filter_map(|c| {
                contact_names.get(&c.contact_id.0).map(|n| Linked {
                    id: c.contact_id.0,
                    name: n.clone(),
                    is_main: c.is_main,
                    phones: contact_phones
                        .get(&c.contact_id.0)
                        .cloned()
                        .unwrap_or_default(),
                })
            })
            .collect(),
        company,
        created_at: lead.created_at,
        updated_at: lead.updated_at,
        closed_text: lead.closed_at.map(|c| l.datetime(c)),
        find: find.to_string(),
        found,
        errors,
        saved: false,
        l,
    })
}

async fn edit(ui: Ui, Path(id): Path<String>, RawForm(body): RawForm) -> UiResult {
    let id = lead_id(&ui, &id)?;
    let f = Fields::parse(&body);
    let l = ui.layout("leads");
    let defs = leads::field_defs(ui.ctx(), &ui.actor).await.or_fail(&ui)?;
    let mut errors = FormErrors::none();
    let price = match parse_price(f.get("price").unwrap_or("")) {
        Ok(p) => Some(p.unwrap_or(0)),
        Err(()) => {
            errors
                .0
                .push(("price".into(), ui.tr.t("leads-error-price")));
            None
        }
    };
    let stage = f.text("stage").and_then(parse_stage_key);
    let custom = fields::inputs(&l, &defs, &f.0);
    let tags = f.get("tags").map(|t| {
        t.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| TagInput {
                id: None,
                name: Some(t.to_string()),
            })
            .collect::<Vec<_>>()
    });
    if errors.is_empty() {
        let input = LeadInput {
            id: Some(id),
            name: f.get("name").map(str::to_string),
            price,
            pipeline_id: stage.map(|s| s.0),
            status_id: stage.map(|s| s.1),
            responsible_user_id: f.int("responsible_user_id"),
            custom_fields_values: (!custom.is_empty()).then_some(custom),
            tags,
            ..Default::default()
        };
        match leads::update(ui.ctx(), &ui.actor, vec![input]).await {
            Ok(_) => return Ok(ui.redirect(&format!("/leads/{id}?saved=1"))),
            Err(e) => errors = ui.form_errors(e)?,
        }
    }
    let p = card_page(&ui, id, errors, "", Some(&f.0)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&p)).into_response())
}

async fn delete(ui: Ui, Path(id): Path<String>) -> UiResult {
    let id = lead_id(&ui, &id)?;
    let v = leads::get(ui.ctx(), &ui.actor, id, false)
        .await
        .or_fail(&ui)?;
    leads::delete(ui.ctx(), &ui.actor, id).await.or_fail(&ui)?;
    Ok(ui.redirect(&format!("/leads?pipeline={}", v.lead.pipeline_id.0)))
}

/// The lead id of a path: one that is not a number is the same 404 page as an
/// unknown one.
fn lead_id(ui: &Ui, s: &str) -> Result<i64, super::UiFail> {
    s.trim()
        .parse()
        .map_err(|_| ui.fail(ServiceError::NotFound))
}

fn link_input(f: &Fields) -> Option<LinkInput> {
    let to = f.text("to")?;
    if to != "contacts" && to != "companies" {
        return None;
    }
    Some(LinkInput {
        to_entity_id: f.int("to_id"),
        to_entity_type: Some(to.to_string()),
        ..Default::default()
    })
}

async fn link(ui: Ui, Path(id): Path<String>, RawForm(body): RawForm) -> UiResult {
    let id = lead_id(&ui, &id)?;
    let f = Fields::parse(&body);
    let Some(input) = link_input(&f) else {
        return Err(ui.fail(ServiceError::BadRequest(ui.tr.t("leads-link-invalid"))));
    };
    sb_service::links::link(ui.ctx(), &ui.actor, EntityKind::Leads, id, vec![input])
        .await
        .or_fail(&ui)?;
    Ok(ui.redirect(&format!("/leads/{id}")))
}

async fn unlink(ui: Ui, Path(id): Path<String>, RawForm(body): RawForm) -> UiResult {
    let id = lead_id(&ui, &id)?;
    let f = Fields::parse(&body);
    let Some(input) = link_input(&f) else {
        return Err(ui.fail(ServiceError::BadRequest(ui.tr.t("leads-link-invalid"))));
    };
    sb_service::links::unlink(ui.ctx(), &ui.actor, EntityKind::Leads, id, vec![input])
        .await
        .or_fail(&ui)?;
    Ok(ui.redirect(&format!("/leads/{id}")))
}
