//! Rights on rows that hang off entities (notes, events): the reader's scope per entity
//! kind is applied in SQL; and contact lists filtered by indexed custom-field values.

use crate::tel_fixtures::{account, group, user, T};
use sb_domain::entities::{Card, CardKind};
use sb_domain::feed::{Event, Note};
use sb_domain::fields::{FieldValue, ValueItem};
use sb_domain::{EntityKind, FieldId, NoteId, UserId, Visibility};
use sb_store::cards::{self, CardFilter, CardWrite};
use sb_store::events::{self, EventFilter};
use sb_store::field_values::{self, FieldFilter, ValueOwner};
use sb_store::notes::{self, NoteFilter};
use serde_json::json;

fn card(a: sb_domain::AccountId, id: i64, owner: i64, values: Vec<FieldValue>) -> CardWrite {
    CardWrite {
        card: Card {
            id,
            kind: CardKind::Contact,
            account_id: a,
            name: format!("C{id}"),
            first_name: String::new(),
            last_name: String::new(),
            responsible_user_id: Some(UserId(owner)),
            company_id: None,
            created_by: UserId(owner),
            updated_by: UserId(owner),
            created_at: T,
            updated_at: T,
            is_deleted: false,
            custom_fields: values,
        },
        phones: vec![],
    }
}

fn text(field: i64, v: &str) -> Vec<FieldValue> {
    vec![FieldValue {
        field_id: FieldId(field),
        values: vec![ValueItem {
            value: json!(v),
            enum_id: None,
            enum_code: None,
        }],
    }]
}

#[tokio::test]
async fn notes_and_events_follow_the_scope_of_their_entity() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let g = group(&t.db, a, 5).await;
        user(&t.db, a, 100, Some(g)).await;
        user(&t.db, a, 101, Some(g)).await;
        user(&t.db, a, 102, None).await;
        let mut tx = t.db.begin().await.unwrap();
        let cs = vec![
            card(a, 10, 100, vec![]),
            card(a, 11, 101, vec![]),
            card(a, 12, 102, vec![]),
        ];
        cards::insert_many(&mut tx, CardKind::Contact, &cs)
            .await
            .unwrap();
        for (i, c) in [10, 11, 12].into_iter().enumerate() {
            let n = Note {
                id: NoteId(1000 + i as i64),
                account_id: a,
                entity_type: EntityKind::Contacts,
                entity_id: c,
                note_type: "common".into(),
                params: json!({"text": "x"}),
                created_by: UserId(0),
                updated_by: UserId(0),
                responsible_user_id: None,
                created_at: T + i as i64,
                updated_at: T + i as i64,
                is_pinned: false,
            };
            notes::insert(&mut tx, &n).await.unwrap();
        }
        let ev = |id: i64, kind: EntityKind, entity: i64| Event {
            id,
            account_id: a,
            event_type: "contact_added".into(),
            entity_type: kind,
            entity_id: entity,
            created_by: UserId(0),
            created_at: T,
            value_before: json!([]),
            value_after: json!([]),
        };
        events::append_many(
            &mut tx,
            &[
                ev(1, EntityKind::Contacts, 10),
                ev(2, EntityKind::Contacts, 12),
                ev(3, EntityKind::Leads, 99),
            ],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        let note_entities = |scope: Vec<(EntityKind, Visibility)>| NoteFilter {
            entity_type: Some(EntityKind::Contacts),
            asc: true,
            limit: 50,
            scope,
            ..Default::default()
        };
        let mut got = Vec::new();
        for scope in [
            vec![],
            vec![(EntityKind::Contacts, Visibility::Own(UserId(100)))],
            vec![(EntityKind::Contacts, Visibility::Group(g))],
            vec![(EntityKind::Contacts, Visibility::None)],
            vec![(EntityKind::Leads, Visibility::All)],
        ] {
            let ns = notes::list(&mut c, a, &note_entities(scope)).await.unwrap();
            got.push(ns.iter().map(|n| n.entity_id).collect::<Vec<_>>());
        }
        assert_eq!(
            got,
            vec![vec![10, 11, 12], vec![10], vec![10, 11], vec![], vec![]]
        );

        let ev_ids = |scope: Vec<(EntityKind, Visibility)>| EventFilter {
            asc: true,
            limit: 50,
            scope,
            ..Default::default()
        };
        let mut got = Vec::new();
        for scope in [
            vec![],
            vec![(EntityKind::Contacts, Visibility::All)],
            vec![
                (EntityKind::Contacts, Visibility::Own(UserId(102))),
                (EntityKind::Leads, Visibility::All),
            ],
            vec![(EntityKind::Leads, Visibility::Own(UserId(100)))],
        ] {
            let es = events::list(&mut c, a, &ev_ids(scope)).await.unwrap();
            got.push(es.iter().map(|e| e.id).collect::<Vec<_>>());
        }
        assert_eq!(got, vec![vec![1, 2, 3], vec![1, 2], vec![2, 3], vec![]]);
    }
}

#[tokio::test]
async fn contact_lists_filter_and_search_by_indexed_field_values() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let mut tx = t.db.begin().await.unwrap();
        let cs = vec![
            card(a, 10, 1, text(7, "Likes Jazz")),
            card(a, 11, 1, text(7, "Rock")),
            card(a, 12, 1, vec![]),
        ];
        cards::insert_many(&mut tx, CardKind::Contact, &cs)
            .await
            .unwrap();
        let values: Vec<(i64, &[FieldValue])> = cs
            .iter()
            .map(|w| (w.card.id, w.card.custom_fields.as_slice()))
            .collect();
        field_values::insert_many(&mut tx, a, ValueOwner::Contact, &values)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        let f = CardFilter {
            limit: 50,
            fields: vec![(FieldId(7), FieldFilter::Eq(vec!["ROCK".into()]))],
            ..Default::default()
        };
        let got: Vec<i64> = cards::list(&mut c, a, CardKind::Contact, &f, Visibility::All)
            .await
            .unwrap()
            .iter()
            .map(|k| k.id)
            .collect();
        assert_eq!(got, vec![11]);
        let f = CardFilter {
            limit: 50,
            text: Some("jazz".into()),
            ..Default::default()
        };
        let got: Vec<i64> = cards::list(&mut c, a, CardKind::Contact, &f, Visibility::All)
            .await
            .unwrap()
            .iter()
            .map(|k| k.id)
            .collect();
        assert_eq!(got, vec![10]);
        let f = CardFilter {
            limit: 50,
            fields: vec![(FieldId(7), FieldFilter::Eq(vec![]))],
            ..Default::default()
        };
        assert!(
            cards::list(&mut c, a, CardKind::Contact, &f, Visibility::All)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
