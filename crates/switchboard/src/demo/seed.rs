//! The demo's data: managers, their contacts and companies, and a working day around
//! them (leads on the board, tasks due overdue / today / later, notes on the cards).
//!
//! Everything goes through sb-service, as a user of the UI or the API would make it, so
//! the demo never holds data the services would refuse. Each part is written once: a
//! second start finds it and leaves it alone, whatever the user has changed since.

use super::DEMO_PASSWORD;
use anyhow::Context;
use chrono::{TimeZone, Utc};
use sb_domain::entities::{CardKind, Role, User};
use sb_domain::feed::task_types;
use sb_domain::fields::{FieldValueInput, ValueInput};
use sb_domain::pipelines::{StatusType, LOST, WON};
use sb_domain::EntityKind;
use sb_domain::Rights;
use sb_service::cards::CardInput;
use sb_service::leads::{ContactLinkInput, LeadInput, TagInput};
use sb_service::notes::NoteInput;
use sb_service::tasks::TaskInput;
use sb_service::users::NewUser;
use sb_service::{Actor, Ctx, ServiceError};

pub(super) struct Manager {
    pub name: &'static str,
    pub email: &'static str,
    pub ext: &'static str,
    pub lang: &'static str,
}

pub(super) const MANAGERS: [Manager; 3] = [
    Manager {
        name: "María López",
        email: "maria@demo.switchboard",
        ext: "101",
        lang: "es",
    },
    Manager {
        name: "João Silva",
        email: "joao@demo.switchboard",
        ext: "102",
        lang: "pt",
    },
    Manager {
        name: "Nagy Katalin",
        email: "katalin@demo.switchboard",
        ext: "103",
        lang: "hu",
    },
];

/// Name, phone, manager (index into [`MANAGERS`]); each contact works at its
/// manager's company.
pub(super) const CONTACTS: [(&str, &str, usize); 9] = [
    ("Lucía Fernández", "+34 600 111 222", 0),
    ("Javier Romero", "+34 611 234 567", 0),
    ("Carmen Ruiz", "+34 91 555 12 34", 0),
    ("Ana Beatriz Costa", "+55 11 98765 4321", 1),
    ("Pedro Almeida", "+351 912 345 678", 1),
    ("Mariana Souza", "+55 21 99876 5432", 1),
    ("Kovács Péter", "+36 30 123 4567", 2),
    ("Szabó Eszter", "+36 20 987 6543", 2),
    ("Tóth Gábor", "+36 1 234 5678", 2),
];

const COMPANIES: [(&str, &str, usize); 3] = [
    ("Construcciones Atlántico SL", "+34 93 555 01 01", 0),
    ("Lisboa Digital Lda", "+351 21 555 0202", 1),
    ("Duna Logisztika Kft", "+36 1 555 0303", 2),
];

/// Where a demo lead stands in the main pipeline.
#[derive(Clone, Copy)]
enum Stage {
    /// The n-th regular stage (by sort order); the last one when the pipeline has fewer.
    Open(usize),
    Won,
    Lost,
}

struct LeadSeed {
    name: &'static str,
    /// Whole units of the account's currency.
    price: i64,
    /// Index into [`CONTACTS`]; the lead's responsible is that contact's manager.
    contact: usize,
    /// Whether the deal is the contact's company's (linked to it) or the person's own.
    company: bool,
    stage: Stage,
    tags: &'static [&'static str],
    /// How long ago the lead came in.
    age_days: i64,
}

const fn lead(
    name: &'static str,
    price: i64,
    contact: usize,
    company: bool,
    stage: Stage,
    tags: &'static [&'static str],
    age_days: i64,
) -> LeadSeed {
    LeadSeed {
        name,
        price,
        contact,
        company,
        stage,
        tags,
        age_days,
    }
}

/// Every regular stage holds a few deals of each market; two are won, one is lost.
const LEADS: [LeadSeed; 14] = [
    lead(
        "Reforma de oficinas Atlántico",
        18_500,
        1,
        true,
        Stage::Open(1),
        &["hot"],
        12,
    ),
    lead(
        "Licencias CRM para 25 puestos",
        7_200,
        0,
        false,
        Stage::Open(0),
        &["referral"],
        3,
    ),
    lead(
        "Centralita virtual sede Madrid",
        3_400,
        2,
        true,
        Stage::Open(2),
        &[],
        20,
    ),
    lead(
        "Ampliación almacén Valencia",
        42_000,
        1,
        true,
        Stage::Open(3),
        &["hot"],
        30,
    ),
    lead(
        "Mantenimiento anual 2027",
        2_900,
        2,
        true,
        Stage::Won,
        &["renewal"],
        45,
    ),
    lead(
        "Migração de telefonia Lisboa Digital",
        12_800,
        4,
        true,
        Stage::Open(1),
        &["hot"],
        9,
    ),
    lead(
        "Plano anual 40 utilizadores",
        9_600,
        3,
        false,
        Stage::Open(0),
        &["referral"],
        2,
    ),
    lead(
        "Integração com loja virtual",
        5_500,
        5,
        false,
        Stage::Open(2),
        &[],
        15,
    ),
    lead(
        "Central de atendimento Porto",
        21_000,
        4,
        true,
        Stage::Open(3),
        &[],
        25,
    ),
    lead(
        "Consultoria de vendas São Paulo",
        4_200,
        3,
        false,
        Stage::Lost,
        &[],
        40,
    ),
    lead(
        "Flottakövető rendszer – Duna Logisztika",
        26_000,
        6,
        true,
        Stage::Open(1),
        &["hot"],
        10,
    ),
    lead(
        "Ügyfélszolgálati csomag",
        6_300,
        7,
        false,
        Stage::Open(0),
        &[],
        4,
    ),
    lead(
        "Raktári telefonrendszer bővítése",
        11_500,
        8,
        true,
        Stage::Won,
        &["referral"],
        35,
    ),
    lead(
        "Éves támogatási szerződés",
        3_800,
        7,
        false,
        Stage::Open(3),
        &["renewal"],
        18,
    ),
];

/// What a task or note is about.
#[derive(Clone, Copy)]
enum On {
    /// Index into [`LEADS`].
    Lead(usize),
    /// Index into [`CONTACTS`].
    Contact(usize),
}

/// When a task is due, relative to the moment the demo is first seeded.
#[derive(Clone, Copy)]
enum Due {
    /// Yesterday, so the manager starts the day behind on one.
    Overdue,
    /// Later today (in the account's time zone): this fraction of what is left of it.
    Today(f64),
    /// In this many days.
    Later(i64),
}

/// One manager's tasks (texts in their language) and notes.
struct Work {
    tasks: [(&'static str, On, Due, i64); 5],
    notes: [(&'static str, On); 2],
}

const WORK: [Work; 3] = [
    Work {
        tasks: [
            (
                "Enviar el presupuesto revisado a Javier Romero",
                On::Lead(0),
                Due::Overdue,
                task_types::FOLLOW_UP,
            ),
            (
                "Llamar a Lucía para confirmar el número de licencias",
                On::Contact(0),
                Due::Today(0.3),
                task_types::FOLLOW_UP,
            ),
            (
                "Demostración de la centralita con Carmen Ruiz",
                On::Lead(2),
                Due::Today(0.7),
                task_types::MEETING,
            ),
            (
                "Preparar el contrato de la ampliación del almacén",
                On::Lead(3),
                Due::Later(2),
                task_types::FOLLOW_UP,
            ),
            (
                "Proponer a Carmen una formación tras la renovación",
                On::Contact(2),
                Due::Later(6),
                task_types::FOLLOW_UP,
            ),
        ],
        notes: [
            (
                "Javier quiere dividir la obra en dos fases; el presupuesto debe cubrir ambas.",
                On::Lead(0),
            ),
            (
                "Viene recomendada por Carmen Ruiz. Prefiere que la llamen por la tarde.",
                On::Contact(0),
            ),
        ],
    },
    Work {
        tasks: [
            (
                "Enviar a proposta revista ao Pedro Almeida",
                On::Lead(5),
                Due::Overdue,
                task_types::FOLLOW_UP,
            ),
            (
                "Ligar à Ana Beatriz para confirmar o número de utilizadores",
                On::Contact(3),
                Due::Today(0.3),
                task_types::FOLLOW_UP,
            ),
            (
                "Reunião com a Mariana: demonstração da integração",
                On::Lead(7),
                Due::Today(0.7),
                task_types::MEETING,
            ),
            (
                "Rever o contrato da central de atendimento do Porto",
                On::Lead(8),
                Due::Later(2),
                task_types::FOLLOW_UP,
            ),
            (
                "Pedir à Ana Beatriz a opinião sobre a proposta perdida",
                On::Contact(3),
                Due::Later(5),
                task_types::FOLLOW_UP,
            ),
        ],
        notes: [
            (
                "O Pedro quer migrar as 30 linhas antes do fim do trimestre.",
                On::Lead(5),
            ),
            (
                "Prefere contacto por WhatsApp; a loja usa Shopify.",
                On::Contact(5),
            ),
        ],
    },
    Work {
        tasks: [
            (
                "Átdolgozott árajánlat küldése Kovács Péternek",
                On::Lead(10),
                Due::Overdue,
                task_types::FOLLOW_UP,
            ),
            (
                "Szabó Eszter visszahívása a csomag részleteiről",
                On::Contact(7),
                Due::Today(0.3),
                task_types::FOLLOW_UP,
            ),
            (
                "Tóth Gábor felhívása: elégedett-e a bővítéssel",
                On::Contact(8),
                Due::Today(0.7),
                task_types::FOLLOW_UP,
            ),
            (
                "Szerződéstervezet előkészítése az éves támogatáshoz",
                On::Lead(13),
                Due::Later(3),
                task_types::FOLLOW_UP,
            ),
            (
                "Személyes találkozó Kovács Péterrel a Duna Logisztika irodájában",
                On::Lead(10),
                Due::Later(7),
                task_types::MEETING,
            ),
        ],
        notes: [
            (
                "Péter 40 járműre kér ajánlatot, GPS-szel és mobilalkalmazással.",
                On::Lead(10),
            ),
            (
                "Délelőttönként érhető el, délután tárgyalásokon van.",
                On::Contact(7),
            ),
        ],
    },
];

/// A service error as the demo reports it: validation errors with their fields, which
/// the error's own message leaves out.
fn svc(what: &'static str) -> impl FnOnce(ServiceError) -> anyhow::Error {
    move |e| match e {
        ServiceError::Validation(items) => anyhow::anyhow!("{what}: invalid: {items:?}"),
        other => anyhow::Error::new(other).context(what),
    }
}

fn phone_field(phone: &str) -> Option<Vec<FieldValueInput>> {
    Some(vec![FieldValueInput {
        field_id: None,
        field_code: Some("PHONE".into()),
        values: Some(vec![ValueInput {
            value: Some(phone.into()),
            enum_id: None,
            enum_code: Some("WORK".into()),
        }]),
    }])
}

/// Seeds the demo's data where it is missing (see the module's comment); returns the
/// managers in [`MANAGERS`]' order. `admin` is an administrator of the demo's account.
pub async fn seed(ctx: &Ctx, admin: &Actor) -> anyhow::Result<Vec<User>> {
    let managers = seed_managers(ctx, admin).await?;
    seed_cards(ctx, admin, &managers).await?;
    seed_work(ctx, admin, &managers).await?;
    Ok(managers)
}

async fn seed_managers(ctx: &Ctx, admin: &Actor) -> anyhow::Result<Vec<User>> {
    let mut managers = Vec::new();
    for m in &MANAGERS {
        let found = sb_service::users::by_email(ctx, admin, m.email)
            .await
            .map_err(svc("looking up a demo manager"))?;
        let u = match found {
            Some(u) => u,
            None => sb_service::users::create_user(
                ctx,
                admin,
                NewUser {
                    name: m.name.into(),
                    email: m.email.into(),
                    password: Some(DEMO_PASSWORD.into()),
                    role: Role::Manager,
                    group_id: None,
                    rights: Some(Rights::manager_default()),
                    lang: Some(m.lang.into()),
                },
            )
            .await
            .map_err(svc("creating a demo manager"))?,
        };
        managers.push(u);
    }
    Ok(managers)
}

/// The demo's contacts and companies, once: they are there when the first contact's
/// number is found.
async fn seed_cards(ctx: &Ctx, admin: &Actor, managers: &[User]) -> anyhow::Result<()> {
    let existing = sb_service::cards::find_by_phone(ctx, admin.account.id, CONTACTS[0].1)
        .await
        .map_err(svc("looking up the demo contacts"))?;
    if !existing.is_empty() {
        return Ok(());
    }
    let companies: Vec<CardInput> = COMPANIES
        .iter()
        .map(|(n, p, owner)| CardInput {
            name: Some((*n).into()),
            responsible_user_id: Some(managers[*owner].id.0),
            custom_fields_values: phone_field(p),
            ..Default::default()
        })
        .collect();
    let company_refs = sb_service::cards::create(ctx, admin, CardKind::Company, companies)
        .await
        .map_err(svc("creating the demo companies"))?;
    let contacts: Vec<CardInput> = CONTACTS
        .iter()
        .map(|(n, p, owner)| CardInput {
            name: Some((*n).into()),
            responsible_user_id: Some(managers[*owner].id.0),
            custom_fields_values: phone_field(p),
            company_id: Some(company_refs.get(*owner).map(|c| c.id)),
            ..Default::default()
        })
        .collect();
    sb_service::cards::create(ctx, admin, CardKind::Contact, contacts)
        .await
        .map_err(svc("creating the demo contacts"))?;
    Ok(())
}

/// The id of the demo card of `kind` with this phone.
async fn card_id(ctx: &Ctx, admin: &Actor, kind: CardKind, phone: &str) -> anyhow::Result<i64> {
    sb_service::cards::find_by_phone(ctx, admin.account.id, phone)
        .await
        .map_err(svc("looking up a demo card"))?
        .into_iter()
        .find(|m| m.kind == kind)
        .map(|m| m.id)
        .with_context(|| format!("the demo card with the number {phone} is gone"))
}

/// Leads, tasks and notes, once: they are there when any demo lead's name is found
/// (the user may have moved, renamed or deleted the others since).
async fn seed_work(ctx: &Ctx, admin: &Actor, managers: &[User]) -> anyhow::Result<()> {
    let names: Vec<String> = LEADS.iter().map(|l| l.name.to_string()).collect();
    let found = sb_service::leads::list(
        ctx,
        admin,
        sb_service::leads::ListParams {
            page: 1,
            limit: 1,
            names,
            ..Default::default()
        },
    )
    .await
    .map_err(svc("looking up the demo leads"))?;
    if !found.items.is_empty() {
        return Ok(());
    }
    let mut contacts = Vec::new();
    for (_, phone, _) in &CONTACTS {
        contacts.push(card_id(ctx, admin, CardKind::Contact, phone).await?);
    }
    let mut companies = Vec::new();
    for (_, phone, _) in &COMPANIES {
        companies.push(card_id(ctx, admin, CardKind::Company, phone).await?);
    }

    let pipeline = sb_service::pipelines::ensure_main(ctx, admin.account.id)
        .await
        .map_err(svc("reading the main pipeline"))?;
    let mut regular: Vec<_> = pipeline
        .statuses
        .iter()
        .filter(|s| s.status_type == StatusType::Regular && s.id != WON && s.id != LOST)
        .collect();
    regular.sort_by_key(|s| s.sort);
    let now = ctx.now();
    let now_s = now / 1000;

    // Each manager makes their own leads, tasks and notes, so the cards' feeds name
    // them (and their rights are the ones that apply).
    let as_manager = |u: &User| Actor {
        user: u.clone(),
        account: admin.account.clone(),
    };
    let mut lead_ids = vec![0_i64; LEADS.len()];
    for (mi, manager) in managers.iter().enumerate() {
        let mine: Vec<usize> = (0..LEADS.len())
            .filter(|&i| CONTACTS[LEADS[i].contact].2 == mi)
            .collect();
        let mut items = Vec::new();
        for &i in &mine {
            let l = &LEADS[i];
            let status = match l.stage {
                Stage::Won => WON,
                Stage::Lost => LOST,
                Stage::Open(n) => {
                    regular
                        .get(n)
                        .or(regular.last())
                        .context("the main pipeline has no regular stage")?
                        .id
                }
            };
            items.push(LeadInput {
                name: Some(l.name.into()),
                price: Some(l.price * 100),
                pipeline_id: Some(pipeline.id.0),
                status_id: Some(status.0),
                responsible_user_id: Some(manager.id.0),
                created_at: Some(now_s - l.age_days * 86_400),
                tags: Some(
                    l.tags
                        .iter()
                        .map(|t| TagInput {
                            id: None,
                            name: Some((*t).into()),
                        })
                        .collect(),
                ),
                contacts: Some(vec![ContactLinkInput {
                    id: contacts[l.contact],
                    is_main: true,
                }]),
                company_id: l.company.then(|| Some(companies[mi])),
                ..Default::default()
            });
        }
        let refs = sb_service::leads::create(ctx, &as_manager(manager), items)
            .await
            .map_err(svc("creating the demo leads"))?;
        for (&i, r) in mine.iter().zip(&refs) {
            lead_ids[i] = r.id;
        }
    }

    let day_end = today_end(now, &admin.account.timezone);
    let target = |on: On| match on {
        On::Lead(i) => ("leads", lead_ids[i]),
        On::Contact(i) => ("contacts", contacts[i]),
    };
    for (manager, work) in managers.iter().zip(&WORK) {
        let actor = as_manager(manager);
        let tasks = work
            .tasks
            .iter()
            .map(|&(text, on, due, task_type)| {
                let (kind, id) = target(on);
                TaskInput {
                    text: Some(text.into()),
                    complete_till: Some(deadline(now, day_end, due)),
                    responsible_user_id: Some(manager.id.0),
                    entity_type: Some(kind.into()),
                    entity_id: Some(id),
                    task_type_id: Some(task_type),
                    ..Default::default()
                }
            })
            .collect();
        sb_service::tasks::create(ctx, &actor, tasks)
            .await
            .map_err(svc("creating the demo tasks"))?;
        for &(text, on) in &work.notes {
            let (kind, id) = match on {
                On::Lead(i) => (EntityKind::Leads, lead_ids[i]),
                On::Contact(i) => (EntityKind::Contacts, contacts[i]),
            };
            let note = NoteInput {
                entity_id: Some(id),
                note_type: Some(sb_domain::feed::note_types::COMMON.into()),
                params: Some(serde_json::json!({ "text": text })),
                ..Default::default()
            };
            sb_service::notes::create(ctx, &actor, kind, None, vec![note])
                .await
                .map_err(svc("creating the demo notes"))?;
        }
    }
    Ok(())
}

/// The last millisecond of the day `now` falls in, in the time zone `tz` (UTC when the
/// account's zone is not one we know): the end of "today" on the task list.
pub fn today_end(now: i64, tz: &str) -> i64 {
    let zone: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    let next_midnight = Utc
        .timestamp_millis_opt(now)
        .single()
        .map(|t| t.with_timezone(&zone).date_naive())
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| zone.from_local_datetime(&t).earliest());
    match next_midnight {
        Some(t) => t.timestamp_millis() - 1,
        // A day with no midnight (a zone that skips it) or a clock out of range: an
        // hour from now is still today's work.
        None => now + 3_600_000,
    }
}

/// A task's deadline in Unix seconds (the tasks API's unit).
fn deadline(now: i64, day_end: i64, due: Due) -> i64 {
    const HOUR: i64 = 3_600_000;
    const QUARTER: i64 = 15 * 60_000;
    match due {
        Due::Overdue => (now - 26 * HOUR) / HOUR * HOUR / 1000,
        Due::Later(days) => (now + days * 24 * HOUR) / HOUR * HOUR / 1000,
        Due::Today(frac) => {
            let t = now + ((day_end - now) as f64 * frac) as i64;
            // A round time when one is left between now and that point.
            let round = t / QUARTER * QUARTER;
            let at = if round > now { round } else { t };
            // Rounded up to the second, so a deadline "today" never falls before now.
            ((at + 999) / 1000).min(day_end / 1000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{deadline, today_end, Due};

    #[test]
    fn today_ends_at_the_zones_midnight() {
        // 2026-12-03 17:57 UTC is 18:57 in Madrid; its day ends at 23:00 UTC.
        let now = 1_796_320_620_000;
        let end = today_end(now, "Europe/Madrid");
        assert_eq!(end, 1_796_338_800_000 - 1);
        assert_eq!(today_end(now, "Not/AZone"), 1_796_342_400_000 - 1);
    }

    #[test]
    fn deadlines_today_stay_between_now_and_the_day_end() {
        let now = 1_796_320_620_000;
        for end in [now + 1, now + 2_000, now + 60_000, now + 5 * 3_600_000] {
            for frac in [0.3, 0.7] {
                let d = deadline(now, end, Due::Today(frac)) * 1000;
                assert!(d >= now && d <= end, "{d} in {now}..={end}");
            }
        }
        assert!(deadline(now, now + 1000, Due::Overdue) * 1000 < now);
        assert!(deadline(now, now + 1000, Due::Later(2)) * 1000 > now + 86_400_000);
    }
}
