use sb_domain::entities::{Account, Card, CardKind};
use sb_domain::{AccountId, Phone, UserId, Visibility};
use sb_store::cards::{self, CardPhone, CardWrite};
use sb_store::{accounts, Db};

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

fn contact(account: AccountId, id: i64, name: &str, owner: i64, phones: &[&str]) -> CardWrite {
    CardWrite {
        card: Card {
            id,
            kind: CardKind::Contact,
            account_id: account,
            name: name.into(),
            first_name: String::new(),
            last_name: String::new(),
            responsible_user_id: Some(UserId(owner)),
            company_id: None,
            created_by: UserId(owner),
            updated_by: UserId(owner),
            created_at: 1,
            updated_at: 1,
            is_deleted: false,
            custom_fields: vec![],
        },
        phones: phones
            .iter()
            .map(|p| CardPhone {
                phone: Phone::parse(p, "ES"),
                enum_code: Some("WORK".into()),
            })
            .collect(),
    }
}

#[tokio::test]
async fn phone_lookup_finds_every_format_and_respects_scope_and_account() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let b = account(&t.db, 2).await;
        let mut tx = t.db.begin().await.unwrap();
        cards::insert_many(
            &mut tx,
            CardKind::Contact,
            &[
                contact(a, 10, "Ana", 100, &["+34 91 123 45 67"]),
                contact(a, 11, "Bea", 101, &["+34 600 111 222"]),
            ],
        )
        .await
        .unwrap();
        cards::insert_many(
            &mut tx,
            CardKind::Contact,
            &[contact(b, 20, "Other account", 200, &["+34 91 123 45 67"])],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        for q in [
            "0034911234567",
            "911234567",
            "+34911234567",
            "34 911 23 45 67",
        ] {
            let m = cards::find_by_phone(&mut c, a, [Visibility::All; 2], &Phone::parse(q, "ES"))
                .await
                .unwrap();
            assert_eq!(m.len(), 1, "{q} on {:?}", t.backend());
            if let Some(lite) = t.db.lite() {
                let fast = lite
                    .read(|c| {
                        cards::find_by_phone_lite(
                            c,
                            a,
                            [Visibility::All; 2],
                            &Phone::parse(q, "ES"),
                        )
                    })
                    .unwrap();
                assert_eq!(fast, m, "{q}: the SQLite fast lane finds the same");
            }
            assert_eq!(m[0].id, 10);
            assert_eq!(m[0].name, "Ana");
            assert_eq!(m[0].responsible_user_id, Some(UserId(100)));
        }
        let own = cards::find_by_phone(
            &mut c,
            a,
            [Visibility::Own(UserId(101)); 2],
            &Phone::parse("911234567", "ES"),
        )
        .await
        .unwrap();
        assert!(
            own.is_empty(),
            "a manager with scope own must not see another user's contact"
        );
        if let Some(lite) = t.db.lite() {
            let scoped = [Visibility::Own(UserId(101)); 2];
            let fast = lite
                .read(|c| cards::find_by_phone_lite(c, a, scoped, &Phone::parse("911234567", "ES")))
                .unwrap();
            assert!(fast.is_empty(), "the fast lane keeps the scope");
        }
        let unknown = cards::find_by_phone(
            &mut c,
            a,
            [Visibility::All; 2],
            &Phone::parse("+34 93 000 00 00", "ES"),
        )
        .await
        .unwrap();
        assert!(unknown.is_empty());
    }
}

#[tokio::test]
async fn lists_sort_by_name_ignoring_case_with_ties_by_id() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let mut tx = t.db.begin().await.unwrap();
        cards::insert_many(
            &mut tx,
            CardKind::Contact,
            &[
                contact(a, 10, "carla", 100, &[]),
                contact(a, 11, "Ana", 100, &[]),
                contact(a, 12, "bea", 100, &[]),
                contact(a, 13, "ana", 100, &[]),
            ],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        for (desc, want) in [(false, [11, 13, 12, 10]), (true, [10, 12, 13, 11])] {
            let f = cards::CardFilter {
                order_by: cards::OrderBy::Name,
                desc,
                limit: 10,
                ..Default::default()
            };
            let got: Vec<i64> = cards::list(&mut c, a, CardKind::Contact, &f, Visibility::All)
                .await
                .unwrap()
                .iter()
                .map(|k| k.id)
                .collect();
            assert_eq!(got, want, "desc {desc} on {:?}", t.backend());
        }
    }
}
