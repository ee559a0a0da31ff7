use sb_domain::entities::{Account, Card, CardKind, Group, Role, User};
use sb_domain::fields::{FieldValue, ValueItem};
use sb_domain::leads::{Lead, LeadContact};
use sb_domain::pipelines::{default_pipeline, Pipeline, LOST, WON};
use sb_domain::tags::Tag;
use sb_domain::{
    AccountId, CompanyId, ContactId, EntityKind, FieldId, GroupId, LeadId, Phone, PipelineId,
    Rights, StatusId, TagId, UserId, Visibility,
};
use sb_store::cards::{self, CardPhone, CardWrite};
use sb_store::field_values::{self, FieldFilter, ValueOwner};
use sb_store::leads::{self, LeadFilter, OrderBy, StatusCount};
use sb_store::{accounts, pipelines, tags, users, Db, StoreError};
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000_000;
const SOURCE: FieldId = FieldId(1);
const BUDGET: FieldId = FieldId(2);
const KIND: FieldId = FieldId(3);

async fn account(db: &Db, id: i64) -> AccountId {
    let mut tx = db.begin().await.unwrap();
    let a = Account {
        id: AccountId(id),
        name: format!("A{id}"),
        subdomain: format!("a{id}"),
        country: "ES".into(),
        currency: "EUR".into(),
        timezone: "Europe/Madrid".into(),
        created_at: 1,
        updated_at: 1,
    };
    accounts::insert(&mut tx, &a).await.unwrap();
    tx.commit().await.unwrap();
    a.id
}

/// Users 100 and 101 in group 1, user 102 in group 2.
async fn team(db: &Db, a: AccountId) {
    let mut tx = db.begin().await.unwrap();
    for g in [1, 2] {
        users::insert_group(
            &mut tx,
            a,
            &Group {
                id: GroupId(g),
                name: format!("G{g}"),
            },
            1,
        )
        .await
        .unwrap();
    }
    for (id, g) in [(100, 1), (101, 1), (102, 2)] {
        let u = User {
            id: UserId(id),
            account_id: a,
            name: format!("U{id}"),
            email: format!("u{id}@a{}.test", a.0),
            lang: "en".into(),
            role: Role::Manager,
            group_id: Some(GroupId(g)),
            rights: Rights::manager_default(),
            is_active: true,
            created_at: 1,
            updated_at: 1,
        };
        users::insert(&mut tx, &u, None).await.unwrap();
    }
    tx.commit().await.unwrap();
}

fn val(field: FieldId, value: Value, enum_id: Option<i64>) -> FieldValue {
    FieldValue {
        field_id: field,
        values: vec![ValueItem {
            value,
            enum_id,
            enum_code: None,
        }],
    }
}

fn lead(
    a: AccountId,
    id: i64,
    p: &Pipeline,
    status: StatusId,
    owner: i64,
    price: i64,
    created: i64,
) -> Lead {
    Lead {
        id: LeadId(id),
        account_id: a,
        name: format!("Lead {id}"),
        price,
        pipeline_id: p.id,
        status_id: status,
        responsible_user_id: Some(UserId(owner)),
        company_id: None,
        loss_reason_id: None,
        created_by: UserId(owner),
        updated_by: UserId(owner),
        created_at: created,
        updated_at: created,
        closed_at: None,
        closest_task_at: None,
        is_deleted: false,
        custom_fields: vec![],
    }
}

fn card(kind: CardKind, a: AccountId, id: i64, name: &str, phone: &str) -> CardWrite {
    CardWrite {
        card: Card {
            id,
            kind,
            account_id: a,
            name: name.into(),
            first_name: String::new(),
            last_name: String::new(),
            responsible_user_id: Some(UserId(100)),
            company_id: None,
            created_by: UserId(100),
            updated_by: UserId(100),
            created_at: 1,
            updated_at: 1,
            is_deleted: false,
            custom_fields: vec![],
        },
        phones: vec![CardPhone {
            phone: Phone::parse(phone, "ES"),
            enum_code: Some("WORK".into()),
        }],
    }
}

fn ids(v: &[Lead]) -> Vec<i64> {
    v.iter().map(|l| l.id.0).collect()
}

fn working(p: &Pipeline, n: usize) -> StatusId {
    p.statuses
        .iter()
        .filter(|s| !s.is_system())
        .nth(n)
        .unwrap()
        .id
}

struct Fixture {
    a: AccountId,
    main: Pipeline,
    second: Pipeline,
}

/// Six leads in two pipelines with prices, owners, times, custom fields, contacts and a company:
/// 1: main/first, owner 100, 1000, t=10, source "Website", budget 50, kind enum 7
/// 2: main/first, owner 101, 2000, t=20, source "website " (case), budget 150
/// 3: main/second, owner 102, 3000, t=30, kind enum 8
/// 4: main/WON, owner 100, 4000, t=40, name "Big Deal"
/// 5: second/WON, owner 102, 5000, t=50, contact 10 (phone +34 911 234 567)
/// 6: second/LOST, owner 101, 6000, t=60, company 20 (phone +34 600 111 222)
async fn fixture(db: &Db) -> Fixture {
    let a = account(db, 1).await;
    team(db, a).await;
    let other = account(db, 2).await;
    let main = default_pipeline(a, NOW);
    let second =
        Pipeline::with_system_statuses(PipelineId(900), a, "Second", 2, StatusId(9000), NOW)
            .unwrap();
    let mut tx = db.begin().await.unwrap();
    pipelines::insert(&mut tx, &main).await.unwrap();
    pipelines::insert(&mut tx, &second).await.unwrap();
    cards::insert_many(
        &mut tx,
        CardKind::Contact,
        &[
            card(CardKind::Contact, a, 10, "Ana", "+34 911 234 567"),
            card(CardKind::Contact, a, 11, "Bea", "+34 622 000 111"),
        ],
    )
    .await
    .unwrap();
    cards::insert_many(
        &mut tx,
        CardKind::Company,
        &[card(CardKind::Company, a, 20, "Acme", "+34 600 111 222")],
    )
    .await
    .unwrap();
    let (s0, s1) = (working(&main, 0), working(&main, 1));
    let mut l1 = lead(a, 1, &main, s0, 100, 1000, 10);
    l1.custom_fields = vec![
        val(SOURCE, json!("Website"), None),
        val(BUDGET, json!(50), None),
        val(KIND, json!("Retail"), Some(7)),
    ];
    let mut l2 = lead(a, 2, &main, s0, 101, 2000, 20);
    l2.custom_fields = vec![
        val(SOURCE, json!("website "), None),
        val(BUDGET, json!(150.0), None),
    ];
    let mut l3 = lead(a, 3, &main, s1, 102, 3000, 30);
    l3.custom_fields = vec![val(KIND, json!("Wholesale"), Some(8))];
    let mut l4 = lead(a, 4, &main, WON, 100, 4000, 40);
    l4.name = "Big Deal".into();
    l4.closed_at = Some(45);
    let mut l5 = lead(a, 5, &second, WON, 102, 5000, 50);
    l5.closed_at = Some(55);
    let mut l6 = lead(a, 6, &second, LOST, 101, 6000, 60);
    l6.company_id = Some(CompanyId(20));
    // Same values in another account must never leak into account 1's lists.
    let mut foreign = lead(other, 7, &main, s0, 100, 1000, 10);
    foreign.custom_fields = l1.custom_fields.clone();
    leads::insert_many(&mut tx, &[l1, l2, l3, l4, l5, l6, foreign])
        .await
        .unwrap();
    // closest_task_at comes from open tasks: lead 6's earliest open one is at 70 (the
    // completed one at 5 does not count), lead 1's is past the filter's bound.
    for (id, lead_id, till, done) in [
        (90, 6, 70, false),
        (91, 6, 80, false),
        (92, 6, 5, true),
        (93, 1, 500, false),
    ] {
        let task = sb_domain::feed::Task {
            id: sb_domain::TaskId(id),
            account_id: a,
            responsible_user_id: UserId(100),
            entity_type: Some(EntityKind::Leads),
            entity_id: Some(lead_id),
            task_type_id: sb_domain::feed::task_types::FOLLOW_UP,
            text: "t".into(),
            complete_till: till,
            is_completed: done,
            result_text: None,
            duration: 0,
            phone_e164: None,
            created_by: UserId(100),
            updated_by: UserId(100),
            created_at: 1,
            updated_at: 1,
        };
        sb_store::tasks::insert(&mut tx, &task).await.unwrap();
    }
    leads::set_contacts(
        &mut tx,
        a,
        LeadId(5),
        &[LeadContact {
            lead_id: LeadId(5),
            contact_id: ContactId(10),
            is_main: true,
        }],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Fixture { a, main, second }
}

#[tokio::test]
async fn lead_list_filters() {
    for t in sb_testkit::backends().await {
        let Fixture { a, main, second } = fixture(&t.db).await;
        let mut c = t.db.conn().await.unwrap();
        let all = Visibility::All;
        let q = |f: LeadFilter| f;
        let cases: Vec<(&str, LeadFilter, Vec<i64>)> = vec![
            ("everything", LeadFilter::default(), vec![1, 2, 3, 4, 5, 6]),
            (
                "ids",
                q(LeadFilter {
                    ids: vec![LeadId(2), LeadId(6), LeadId(7)],
                    ..Default::default()
                }),
                vec![2, 6],
            ),
            (
                "names",
                q(LeadFilter {
                    names: vec!["Big Deal".into()],
                    ..Default::default()
                }),
                vec![4],
            ),
            (
                "pipeline",
                q(LeadFilter {
                    pipeline_ids: vec![second.id],
                    ..Default::default()
                }),
                vec![5, 6],
            ),
            (
                "won in main only",
                q(LeadFilter {
                    statuses: vec![(main.id, WON)],
                    ..Default::default()
                }),
                vec![4],
            ),
            (
                "won in both + first stage",
                q(LeadFilter {
                    statuses: vec![
                        (main.id, WON),
                        (second.id, WON),
                        (main.id, working(&main, 0)),
                    ],
                    ..Default::default()
                }),
                vec![1, 2, 4, 5],
            ),
            (
                "responsible",
                q(LeadFilter {
                    responsible: vec![UserId(100), UserId(102)],
                    ..Default::default()
                }),
                vec![1, 3, 4, 5],
            ),
            (
                "created_by",
                q(LeadFilter {
                    created_by: vec![UserId(101)],
                    ..Default::default()
                }),
                vec![2, 6],
            ),
            (
                "price range",
                q(LeadFilter {
                    price_from: Some(2000),
                    price_to: Some(4000),
                    ..Default::default()
                }),
                vec![2, 3, 4],
            ),
            (
                "created range",
                q(LeadFilter {
                    created_from: Some(20),
                    created_to: Some(50),
                    ..Default::default()
                }),
                vec![2, 3, 4, 5],
            ),
            (
                "updated from",
                q(LeadFilter {
                    updated_from: Some(55),
                    ..Default::default()
                }),
                vec![6],
            ),
            (
                "closed range",
                q(LeadFilter {
                    closed_from: Some(50),
                    ..Default::default()
                }),
                vec![5],
            ),
            (
                "closest task",
                q(LeadFilter {
                    closest_task_to: Some(100),
                    ..Default::default()
                }),
                vec![6],
            ),
            (
                "closest task range",
                q(LeadFilter {
                    closest_task_from: Some(71),
                    ..Default::default()
                }),
                vec![1],
            ),
            (
                "text on name",
                q(LeadFilter {
                    text: Some("big d".into()),
                    ..Default::default()
                }),
                vec![4],
            ),
            (
                "text on field value",
                q(LeadFilter {
                    text: Some("WHOLESA".into()),
                    ..Default::default()
                }),
                vec![3],
            ),
            (
                "field eq, any case",
                q(LeadFilter {
                    fields: vec![(SOURCE, FieldFilter::Eq(vec!["WEBSITE".into()]))],
                    ..Default::default()
                }),
                vec![1, 2],
            ),
            (
                "field eq on number text",
                q(LeadFilter {
                    fields: vec![(BUDGET, FieldFilter::Eq(vec!["150".into()]))],
                    ..Default::default()
                }),
                vec![2],
            ),
            (
                "field range",
                q(LeadFilter {
                    fields: vec![(BUDGET, FieldFilter::Range(Some(100.0), None))],
                    ..Default::default()
                }),
                vec![2],
            ),
            (
                "field has value",
                q(LeadFilter {
                    fields: vec![(BUDGET, FieldFilter::Range(None, None))],
                    ..Default::default()
                }),
                vec![1, 2],
            ),
            (
                "field enum",
                q(LeadFilter {
                    fields: vec![(KIND, FieldFilter::Enum(vec![8, 99]))],
                    ..Default::default()
                }),
                vec![3],
            ),
            (
                "empty enum list",
                q(LeadFilter {
                    fields: vec![(KIND, FieldFilter::Enum(vec![]))],
                    ..Default::default()
                }),
                vec![],
            ),
            (
                "two field filters and a price",
                q(LeadFilter {
                    fields: vec![
                        (SOURCE, FieldFilter::Eq(vec!["website".into()])),
                        (BUDGET, FieldFilter::Range(None, Some(100.0))),
                    ],
                    price_to: Some(1000),
                    ..Default::default()
                }),
                vec![1],
            ),
            (
                "contact",
                q(LeadFilter {
                    contact_id: Some(ContactId(10)),
                    ..Default::default()
                }),
                vec![5],
            ),
            (
                "company",
                q(LeadFilter {
                    company_id: Some(CompanyId(20)),
                    ..Default::default()
                }),
                vec![6],
            ),
            (
                "phone of a contact, national format",
                q(LeadFilter {
                    phone_digits: Some("911234567".into()),
                    ..Default::default()
                }),
                vec![5],
            ),
            (
                "phone of a company, international",
                q(LeadFilter {
                    phone_digits: Some("0034600111222".into()),
                    ..Default::default()
                }),
                vec![6],
            ),
            (
                "unknown phone",
                q(LeadFilter {
                    phone_digits: Some("933333333".into()),
                    ..Default::default()
                }),
                vec![],
            ),
            (
                "order by created desc, paged",
                q(LeadFilter {
                    order_by: OrderBy::CreatedAt,
                    desc: true,
                    limit: 2,
                    offset: 1,
                    ..Default::default()
                }),
                vec![5, 4],
            ),
        ];
        for (name, f, want) in cases {
            let got = leads::list(&mut c, a, &f, all).await.unwrap();
            assert_eq!(ids(&got), want, "{name} on {:?}", t.backend());
            assert_eq!(
                leads::count(&mut c, a, &f, all).await.unwrap(),
                if f.limit == 50 { want.len() as i64 } else { 6 },
                "count: {name}"
            );
        }

        let got = leads::list(&mut c, a, &LeadFilter::default(), all)
            .await
            .unwrap();
        let closest: Vec<Option<i64>> = got.iter().map(|l| l.closest_task_at).collect();
        assert_eq!(closest, vec![Some(500), None, None, None, None, Some(70)]);

        // Visibility: own, group (users 100 and 101), none.
        let f = LeadFilter::default();
        assert_eq!(
            ids(&leads::list(&mut c, a, &f, Visibility::Own(UserId(102)))
                .await
                .unwrap()),
            vec![3, 5]
        );
        assert_eq!(
            ids(&leads::list(&mut c, a, &f, Visibility::Group(GroupId(1)))
                .await
                .unwrap()),
            vec![1, 2, 4, 6]
        );
        assert!(leads::list(&mut c, a, &f, Visibility::None)
            .await
            .unwrap()
            .is_empty());
        assert!(
            leads::get(&mut c, a, LeadId(3), Visibility::Own(UserId(100)))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            leads::get_many(
                &mut c,
                a,
                &[LeadId(3), LeadId(1), LeadId(7)],
                Visibility::Group(GroupId(2))
            )
            .await
            .unwrap()
            .len(),
            1
        );
        let l1 = leads::get(&mut c, a, LeadId(1), all)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            l1.custom_fields.len(),
            3,
            "custom fields read back from the JSON column"
        );
        assert_eq!(l1.pipeline_id, main.id);

        // Board figures per stage, scoped.
        let board = leads::count_by_status(&mut c, a, Some(main.id), all)
            .await
            .unwrap();
        assert_eq!(
            board
                .iter()
                .find(|s| s.status_id == working(&main, 0))
                .map(|s| (s.leads, s.price)),
            Some((2, 3000))
        );
        assert_eq!(board.iter().map(|s| s.leads).sum::<i64>(), 4);
        let won_both = leads::count_by_status(&mut c, a, None, Visibility::Own(UserId(102)))
            .await
            .unwrap();
        let mut want = vec![
            StatusCount {
                pipeline_id: main.id,
                status_id: working(&main, 1),
                leads: 1,
                price: 3000,
            },
            StatusCount {
                pipeline_id: second.id,
                status_id: WON,
                leads: 1,
                price: 5000,
            },
        ];
        want.sort_by_key(|s| (s.pipeline_id, s.status_id));
        assert_eq!(won_both, want);
    }
}

#[tokio::test]
async fn lead_updates_rewrite_the_field_index_and_deletes_hide() {
    for t in sb_testkit::backends().await {
        let Fixture { a, main, second } = fixture(&t.db).await;
        let mut tx = t.db.begin().await.unwrap();
        let mut l1 = leads::get(&mut tx, a, LeadId(1), Visibility::All)
            .await
            .unwrap()
            .unwrap();
        l1.custom_fields = vec![val(SOURCE, json!("Phone call"), None)];
        l1.move_to(main.id, WON, NOW);
        l1.price = 9999;
        leads::update(&mut tx, &l1).await.unwrap();
        let mut missing = l1.clone();
        missing.id = LeadId(404);
        assert!(matches!(
            leads::update(&mut tx, &missing).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            leads::delete(&mut tx, a, &[LeadId(2), LeadId(404)], UserId(100), NOW)
                .await
                .unwrap(),
            1
        );
        tx.commit().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        let by_source = |v: &str| LeadFilter {
            fields: vec![(SOURCE, FieldFilter::Eq(vec![v.into()]))],
            ..Default::default()
        };
        assert!(
            leads::list(&mut c, a, &by_source("website"), Visibility::All)
                .await
                .unwrap()
                .is_empty(),
            "old value gone from the index, lead 2 deleted"
        );
        assert_eq!(
            ids(
                &leads::list(&mut c, a, &by_source("phone call"), Visibility::All)
                    .await
                    .unwrap()
            ),
            vec![1]
        );
        let budget = LeadFilter {
            fields: vec![(BUDGET, FieldFilter::Range(None, None))],
            ..Default::default()
        };
        assert!(leads::list(&mut c, a, &budget, Visibility::All)
            .await
            .unwrap()
            .is_empty());
        let got = leads::get(&mut c, a, LeadId(1), Visibility::All)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (got.status_id, got.closed_at, got.price),
            (WON, Some(NOW), 9999)
        );
        assert!(leads::get(&mut c, a, LeadId(2), Visibility::All)
            .await
            .unwrap()
            .is_none());
        let deleted = leads::list(
            &mut c,
            a,
            &LeadFilter {
                only_deleted: true,
                ..Default::default()
            },
            Visibility::All,
        )
        .await
        .unwrap();
        assert_eq!(
            (ids(&deleted), deleted[0].updated_by),
            (vec![2], UserId(100))
        );
        drop(c);

        // Moving a whole stage (before deleting it) closes or reopens consistently.
        let mut tx = t.db.begin().await.unwrap();
        assert_eq!(
            leads::move_all(
                &mut tx,
                a,
                (main.id, WON),
                (second.id, LOST),
                UserId(101),
                NOW + 1
            )
            .await
            .unwrap(),
            2
        );
        assert_eq!(
            leads::move_all(
                &mut tx,
                a,
                (second.id, LOST),
                (main.id, working(&main, 2)),
                UserId(101),
                NOW + 2
            )
            .await
            .unwrap(),
            3
        );
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        let moved = leads::list(
            &mut c,
            a,
            &LeadFilter {
                statuses: vec![(main.id, working(&main, 2))],
                ..Default::default()
            },
            Visibility::All,
        )
        .await
        .unwrap();
        assert_eq!(ids(&moved), vec![1, 4, 6]);
        assert!(moved
            .iter()
            .all(|l| l.closed_at.is_none() && l.updated_by == UserId(101)));
    }
}

#[tokio::test]
async fn lead_contacts_keep_one_main_and_company_is_single() {
    for t in sb_testkit::backends().await {
        let Fixture { a, .. } = fixture(&t.db).await;
        let lc = |l: i64, c: i64, m: bool| LeadContact {
            lead_id: LeadId(l),
            contact_id: ContactId(c),
            is_main: m,
        };
        let mut tx = t.db.begin().await.unwrap();
        let set = leads::set_contacts(
            &mut tx,
            a,
            LeadId(1),
            &[lc(1, 10, true), lc(1, 11, true), lc(1, 10, false)],
        )
        .await
        .unwrap();
        assert_eq!(set, vec![lc(1, 10, true), lc(1, 11, false)]);
        let after = leads::add_contact(&mut tx, a, LeadId(1), ContactId(11), true)
            .await
            .unwrap();
        assert_eq!(
            after
                .iter()
                .filter(|x| x.is_main)
                .map(|x| x.contact_id)
                .collect::<Vec<_>>(),
            vec![ContactId(11)]
        );
        assert_eq!(after.len(), 2);
        assert!(leads::remove_contact(&mut tx, a, LeadId(1), ContactId(11))
            .await
            .unwrap());
        assert!(!leads::remove_contact(&mut tx, a, LeadId(1), ContactId(11))
            .await
            .unwrap());
        leads::add_contact(&mut tx, a, LeadId(3), ContactId(10), false)
            .await
            .unwrap();
        leads::set_company(&mut tx, a, LeadId(1), Some(CompanyId(20)), UserId(101), NOW)
            .await
            .unwrap();
        leads::set_company(&mut tx, a, LeadId(6), None, UserId(101), NOW)
            .await
            .unwrap();
        assert!(matches!(
            leads::set_company(&mut tx, a, LeadId(404), None, UserId(101), NOW).await,
            Err(StoreError::NotFound)
        ));
        tx.commit().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        assert_eq!(
            leads::contacts_of(&mut c, a, &[LeadId(1)]).await.unwrap(),
            vec![lc(1, 10, true)],
            "the remaining contact became main"
        );
        assert_eq!(
            leads::contacts_of(&mut c, a, &[LeadId(3)]).await.unwrap(),
            vec![lc(3, 10, true)],
            "a lone contact is main"
        );
        let of10 = leads::leads_of_contacts(&mut c, a, &[ContactId(10)], Visibility::All)
            .await
            .unwrap();
        assert_eq!(
            of10.iter().map(|x| x.lead_id.0).collect::<Vec<_>>(),
            vec![1, 3, 5]
        );
        let of10_own =
            leads::leads_of_contacts(&mut c, a, &[ContactId(10)], Visibility::Own(UserId(102)))
                .await
                .unwrap();
        assert_eq!(
            of10_own.iter().map(|x| x.lead_id.0).collect::<Vec<_>>(),
            vec![3, 5]
        );
        let paged = leads::list(
            &mut c,
            a,
            &LeadFilter {
                contact_id: Some(ContactId(10)),
                limit: 2,
                ..Default::default()
            },
            Visibility::All,
        )
        .await
        .unwrap();
        assert_eq!(ids(&paged), vec![1, 3]);
        assert_eq!(
            leads::company_of(&mut c, a, LeadId(1)).await.unwrap(),
            Some(CompanyId(20))
        );
        assert_eq!(leads::company_of(&mut c, a, LeadId(6)).await.unwrap(), None);
        assert_eq!(
            leads::leads_of_companies(&mut c, a, &[CompanyId(20)], Visibility::All)
                .await
                .unwrap(),
            vec![(CompanyId(20), LeadId(1))]
        );
        let phone = leads::list(
            &mut c,
            a,
            &LeadFilter {
                phone_digits: Some("600111222".into()),
                ..Default::default()
            },
            Visibility::All,
        )
        .await
        .unwrap();
        assert_eq!(
            ids(&phone),
            vec![1],
            "company phone follows the lead's current company"
        );
        assert!(leads::contacts_of(&mut c, AccountId(2), &[LeadId(1)])
            .await
            .unwrap()
            .is_empty());
    }
}

#[tokio::test]
async fn bulk_insert_crosses_statement_chunks() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let p = default_pipeline(a, NOW);
        let s = p.first_working_status().unwrap().id;
        let many: Vec<Lead> = (1..=1_001)
            .map(|i| {
                let mut l = lead(a, i, &p, s, 100 + i % 3, i * 10, i);
                l.custom_fields = vec![val(BUDGET, json!(i), None)];
                l
            })
            .collect();
        let mut tx = t.db.begin().await.unwrap();
        pipelines::insert(&mut tx, &p).await.unwrap();
        leads::insert_many(&mut tx, &many).await.unwrap();
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        assert_eq!(
            leads::count(&mut c, a, &LeadFilter::default(), Visibility::All)
                .await
                .unwrap(),
            1_001
        );
        let f = LeadFilter {
            fields: vec![(BUDGET, FieldFilter::Range(Some(250.0), Some(251.0)))],
            responsible: vec![UserId(101)],
            ..Default::default()
        };
        assert_eq!(
            ids(&leads::list(&mut c, a, &f, Visibility::All).await.unwrap()),
            vec![250]
        );
        let last = leads::list(
            &mut c,
            a,
            &LeadFilter {
                order_by: OrderBy::Id,
                desc: true,
                limit: 1,
                ..Default::default()
            },
            Visibility::All,
        )
        .await
        .unwrap();
        assert_eq!(
            (ids(&last), last[0].custom_fields.clone()),
            (vec![1_001], vec![val(BUDGET, json!(1001), None)])
        );
        drop(c);
        let mut tx = t.db.begin().await.unwrap();
        assert!(matches!(
            leads::insert_many(&mut tx, &many[..1]).await,
            Err(StoreError::Conflict { .. })
        ));
        tx.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn tags_are_unique_by_folded_name_and_filter_leads() {
    for t in sb_testkit::backends().await {
        let Fixture { a, .. } = fixture(&t.db).await;
        let mut tx = t.db.begin().await.unwrap();
        let first = tags::upsert_by_names(
            &mut tx,
            a,
            EntityKind::Leads,
            &[
                "VoIP".into(),
                " Hot  lead ".into(),
                "voip".into(),
                "  ".into(),
            ],
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(
            first.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            vec!["VoIP", "Hot lead"]
        );
        let again = tags::upsert_by_names(
            &mut tx,
            a,
            EntityKind::Leads,
            &["HOT LEAD".into(), "Árbol".into()],
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(
            again[0], first[1],
            "an existing tag is found whatever the case"
        );
        let arbol = again[1].clone();
        // The same name on contacts is another tag; the same name inserted again conflicts.
        let contact_tag =
            tags::upsert_by_names(&mut tx, a, EntityKind::Contacts, &["voip".into()], NOW)
                .await
                .unwrap();
        assert_ne!(contact_tag[0].id, first[0].id);
        tx.commit().await.unwrap();
        let mut tx = t.db.begin().await.unwrap();
        let dup = Tag {
            id: TagId(1),
            account_id: a,
            entity: EntityKind::Leads,
            name: "ÁRBOL".into(),
            color: None,
        };
        assert!(matches!(
            tags::insert(&mut tx, &dup).await,
            Err(StoreError::Conflict { .. })
        ));
        tx.rollback().await.unwrap();

        let (voip, hot) = (first[0].id, first[1].id);
        let mut tx = t.db.begin().await.unwrap();
        tags::set_for_entity(&mut tx, a, EntityKind::Leads, 1, &[voip, hot, voip])
            .await
            .unwrap();
        tags::set_for_entity(&mut tx, a, EntityKind::Leads, 3, &[hot])
            .await
            .unwrap();
        tags::add_to_entity(&mut tx, a, EntityKind::Leads, 3, &[hot, arbol.id])
            .await
            .unwrap();
        assert_eq!(
            tags::remove_from_entity(&mut tx, a, EntityKind::Leads, 3, &[arbol.id, voip])
                .await
                .unwrap(),
            1
        );
        tags::set_for_entity(&mut tx, a, EntityKind::Contacts, 10, &[contact_tag[0].id])
            .await
            .unwrap();
        let mut recolored = first[1].clone();
        recolored.color = Some("#ff8f92".into());
        tags::update(&mut tx, &recolored).await.unwrap();
        tx.commit().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        let on = tags::for_entities(&mut c, a, EntityKind::Leads, &[1, 3, 5])
            .await
            .unwrap();
        let pairs: Vec<(i64, &str)> = on.iter().map(|(e, t)| (*e, t.name.as_str())).collect();
        assert_eq!(pairs, vec![(1, "Hot lead"), (1, "VoIP"), (3, "Hot lead")]);
        assert_eq!(on[0].1.color.as_deref(), Some("#ff8f92"));
        let f = |tags: Vec<TagId>| LeadFilter {
            tag_ids: tags,
            ..Default::default()
        };
        assert_eq!(
            ids(&leads::list(&mut c, a, &f(vec![hot]), Visibility::All)
                .await
                .unwrap()),
            vec![1, 3]
        );
        assert_eq!(
            ids(&leads::list(&mut c, a, &f(vec![voip]), Visibility::All)
                .await
                .unwrap()),
            vec![1]
        );
        assert!(
            leads::list(&mut c, a, &f(vec![contact_tag[0].id]), Visibility::All)
                .await
                .unwrap()
                .is_empty(),
            "a contact tag never matches leads"
        );
        let listed = tags::list(
            &mut c,
            a,
            EntityKind::Leads,
            &tags::TagFilter {
                query: Some("O".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(listed.iter().map(|t| t.id).collect::<Vec<_>>(), {
            let mut v = vec![voip, hot, arbol.id];
            v.sort();
            v
        });
        let by_name = tags::list(
            &mut c,
            a,
            EntityKind::Leads,
            &tags::TagFilter {
                name: Some("árbol".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(by_name, vec![arbol.clone()]);
        assert_eq!(
            tags::get_many(&mut c, a, EntityKind::Leads, &[voip, contact_tag[0].id])
                .await
                .unwrap()
                .len(),
            1
        );
        drop(c);
        let mut tx = t.db.begin().await.unwrap();
        assert!(tags::delete(&mut tx, a, EntityKind::Leads, hot)
            .await
            .unwrap());
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        assert_eq!(
            tags::for_entities(&mut c, a, EntityKind::Leads, &[1, 3])
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn contact_field_values_are_indexed_by_the_service_call() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let mut tx = t.db.begin().await.unwrap();
        let v1 = [val(FieldId(40), json!("CEO"), None)];
        let v2 = [val(FieldId(40), json!("cto"), None)];
        field_values::insert_many(
            &mut tx,
            a,
            ValueOwner::Contact,
            &[(10, &v1[..]), (11, &v2[..])],
        )
        .await
        .unwrap();
        field_values::rewrite(
            &mut tx,
            a,
            CardKind::Company.into(),
            10,
            &[val(FieldId(41), json!(3), None)],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        let ceo = FieldFilter::Eq(vec!["ceo".into(), "cfo".into()]);
        assert_eq!(
            field_values::find_entities(&mut c, a, FieldId(40), &ceo, 50)
                .await
                .unwrap(),
            vec![10]
        );
        assert!(
            field_values::find_entities(&mut c, AccountId(2), FieldId(40), &ceo, 50)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            field_values::find_entities(
                &mut c,
                a,
                FieldId(41),
                &FieldFilter::Range(Some(3.0), Some(3.0)),
                50
            )
            .await
            .unwrap(),
            vec![10]
        );
        drop(c);
        let mut tx = t.db.begin().await.unwrap();
        field_values::rewrite(&mut tx, a, ValueOwner::Contact, 10, &v2)
            .await
            .unwrap();
        assert_eq!(
            field_values::delete_field(&mut tx, a, FieldId(41))
                .await
                .unwrap(),
            1
        );
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        let cto = FieldFilter::Eq(vec!["CTO".into()]);
        assert_eq!(
            field_values::find_entities(&mut c, a, FieldId(40), &cto, 50)
                .await
                .unwrap(),
            vec![10, 11]
        );
        assert!(
            field_values::find_entities(&mut c, a, FieldId(40), &ceo, 50)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(field_values::find_entities(
            &mut c,
            a,
            FieldId(41),
            &FieldFilter::Range(None, None),
            50
        )
        .await
        .unwrap()
        .is_empty());
    }
}
