//! Notes, tasks and events.

use crate::tel_fixtures::{account, group, user, T};
use sb_domain::feed::{event_types, note_types, task_types, Event, Note, Task};
use sb_domain::{AccountId, EntityKind, NoteId, TaskId, UserId, Visibility};
use sb_store::events::{self, EventFilter};
use sb_store::notes::{self, NoteFilter};
use sb_store::tasks::{self, TaskFilter, TaskOrder};
use sb_store::StoreError;
use serde_json::json;

fn note(
    account: AccountId,
    id: i64,
    entity: EntityKind,
    entity_id: i64,
    note_type: &str,
    at: i64,
) -> Note {
    Note {
        id: NoteId(id),
        account_id: account,
        entity_type: entity,
        entity_id,
        note_type: note_type.into(),
        params: if note_type == note_types::COMMON {
            json!({"text": format!("note {id}")})
        } else {
            json!({"uniq": format!("in_{id}"), "duration": 47, "source": "zadarma", "phone": "+34600111222", "call_status": 4, "link": "https://pbx.test/r/1.mp3"})
        },
        created_by: UserId(0),
        updated_by: UserId(0),
        responsible_user_id: Some(UserId(100)),
        created_at: at,
        updated_at: at,
        is_pinned: false,
    }
}

#[tokio::test]
async fn notes_round_trip_and_list_newest_first() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let b = account(&t.db, 2).await;
        let mut tx = t.db.begin().await.unwrap();
        let mut all = Vec::new();
        for i in 1..=5 {
            let kind = if i % 2 == 0 {
                note_types::COMMON
            } else {
                note_types::CALL_IN
            };
            all.push(note(a, i, EntityKind::Contacts, 10, kind, T + i));
        }
        all.push(note(
            a,
            6,
            EntityKind::Leads,
            10,
            note_types::CALL_OUT,
            T + 6,
        ));
        all.push(note(
            b,
            7,
            EntityKind::Contacts,
            10,
            note_types::COMMON,
            T + 7,
        ));
        notes::insert_many(&mut tx, &all).await.unwrap();
        notes::insert(
            &mut tx,
            &note(a, 8, EntityKind::Contacts, 11, note_types::COMMON, T + 8),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        assert_eq!(
            notes::get(&mut c, a, NoteId(3)).await.unwrap(),
            Some(all[2].clone())
        );
        assert_eq!(notes::get(&mut c, b, NoteId(3)).await.unwrap(), None);
        let ids = |v: Vec<Note>| v.into_iter().map(|n| n.id.0).collect::<Vec<_>>();
        assert_eq!(
            ids(
                notes::list_for_entity(&mut c, a, EntityKind::Contacts, 10, 50, 0)
                    .await
                    .unwrap()
            ),
            vec![5, 4, 3, 2, 1]
        );
        assert_eq!(
            ids(
                notes::list_for_entity(&mut c, a, EntityKind::Contacts, 10, 2, 2)
                    .await
                    .unwrap()
            ),
            vec![3, 2],
            "paginated"
        );
        assert_eq!(
            ids(
                notes::list_for_entity(&mut c, a, EntityKind::Leads, 10, 50, 0)
                    .await
                    .unwrap()
            ),
            vec![6],
            "entity type matters"
        );
        let calls = NoteFilter {
            entity_type: Some(EntityKind::Contacts),
            note_types: vec![note_types::CALL_IN.into()],
            limit: 50,
            ..Default::default()
        };
        assert_eq!(
            ids(notes::list(&mut c, a, &calls).await.unwrap()),
            vec![5, 3, 1]
        );
        let both = NoteFilter {
            entity_type: Some(EntityKind::Contacts),
            entity_ids: vec![10, 11],
            note_types: vec![note_types::COMMON.into()],
            asc: true,
            limit: 50,
            ..Default::default()
        };
        assert_eq!(
            ids(notes::list(&mut c, a, &both).await.unwrap()),
            vec![2, 4, 8]
        );
        let window = NoteFilter {
            updated_from: Some(T + 2),
            updated_to: Some(T + 3),
            ids: vec![1, 2, 3],
            limit: 50,
            ..Default::default()
        };
        assert_eq!(
            ids(notes::list(&mut c, a, &window).await.unwrap()),
            vec![3, 2]
        );
        drop(c);

        let mut edited = all[1].clone();
        edited.params = json!({"text": "edited"});
        edited.updated_by = UserId(100);
        edited.updated_at = T + 100;
        let mut tx = t.db.begin().await.unwrap();
        notes::update(&mut tx, &edited).await.unwrap();
        notes::set_pinned(&mut tx, a, NoteId(2), true, UserId(100), T + 101)
            .await
            .unwrap();
        assert!(matches!(
            notes::set_pinned(&mut tx, b, NoteId(2), true, UserId(100), T).await,
            Err(StoreError::NotFound)
        ));
        let mut wrong_entity = edited.clone();
        wrong_entity.entity_type = EntityKind::Leads;
        assert!(matches!(
            notes::update(&mut tx, &wrong_entity).await,
            Err(StoreError::NotFound)
        ));
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        let got = notes::get(&mut c, a, NoteId(2)).await.unwrap().unwrap();
        assert_eq!(
            (got.params, got.is_pinned, got.updated_at),
            (json!({"text": "edited"}), true, T + 101)
        );
    }
}

fn task(account: AccountId, id: i64, owner: UserId, till: i64) -> Task {
    Task {
        id: TaskId(id),
        account_id: account,
        responsible_user_id: owner,
        entity_type: Some(EntityKind::Contacts),
        entity_id: Some(10),
        task_type_id: task_types::FOLLOW_UP,
        text: format!("Call back {id}"),
        complete_till: till,
        is_completed: false,
        result_text: None,
        duration: 0,
        phone_e164: None,
        created_by: UserId(0),
        updated_by: UserId(0),
        created_at: T + id,
        updated_at: T + id,
    }
}

#[tokio::test]
async fn tasks_round_trip_filter_and_respect_visibility() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let b = account(&t.db, 2).await;
        let sales = group(&t.db, a, 1).await;
        let support = group(&t.db, a, 2).await;
        let ana = user(&t.db, a, 100, Some(sales)).await;
        let bea = user(&t.db, a, 101, Some(sales)).await;
        let cruz = user(&t.db, a, 102, Some(support)).await;
        let mut tx = t.db.begin().await.unwrap();
        tasks::insert(&mut tx, &task(a, 1, ana, T + 3_600_000))
            .await
            .unwrap();
        tasks::insert(&mut tx, &task(a, 2, bea, T + 1_800_000))
            .await
            .unwrap();
        let mut meeting = task(a, 3, cruz, T + 7_200_000);
        meeting.task_type_id = task_types::MEETING;
        meeting.entity_type = Some(EntityKind::Leads);
        meeting.entity_id = Some(20);
        meeting.duration = 1_800;
        tasks::insert(&mut tx, &meeting).await.unwrap();
        let mut loose = task(a, 4, ana, T + 60_000);
        loose.entity_type = None;
        loose.entity_id = None;
        tasks::insert(&mut tx, &loose).await.unwrap();
        tasks::insert(&mut tx, &task(b, 5, UserId(200), T))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        assert_eq!(
            tasks::get(&mut c, a, TaskId(3), Visibility::All)
                .await
                .unwrap(),
            Some(meeting.clone())
        );
        assert_eq!(
            tasks::get(&mut c, a, TaskId(4), Visibility::All)
                .await
                .unwrap(),
            Some(loose.clone())
        );
        assert_eq!(
            tasks::get(&mut c, a, TaskId(3), Visibility::Own(ana))
                .await
                .unwrap(),
            None,
            "outside the scope"
        );
        assert_eq!(
            tasks::get(&mut c, a, TaskId(5), Visibility::All)
                .await
                .unwrap(),
            None,
            "another account"
        );
        let ids = |v: Vec<Task>| v.into_iter().map(|x| x.id.0).collect::<Vec<_>>();
        let all = TaskFilter {
            limit: 50,
            ..Default::default()
        };
        assert_eq!(
            ids(tasks::list(&mut c, a, &all, Visibility::All).await.unwrap()),
            vec![1, 2, 3, 4]
        );
        assert_eq!(
            ids(tasks::list(&mut c, a, &all, Visibility::Own(ana))
                .await
                .unwrap()),
            vec![1, 4]
        );
        assert_eq!(
            ids(tasks::list(&mut c, a, &all, Visibility::Group(sales))
                .await
                .unwrap()),
            vec![1, 2, 4]
        );
        assert_eq!(
            ids(tasks::list(&mut c, a, &all, Visibility::Group(support))
                .await
                .unwrap()),
            vec![3]
        );
        assert!(tasks::list(&mut c, a, &all, Visibility::None)
            .await
            .unwrap()
            .is_empty());
        let by_deadline = TaskFilter {
            order_by: TaskOrder::CompleteTill,
            limit: 50,
            ..Default::default()
        };
        assert_eq!(
            ids(tasks::list(&mut c, a, &by_deadline, Visibility::All)
                .await
                .unwrap()),
            vec![4, 2, 1, 3]
        );
        let window = TaskFilter {
            complete_till_from: Some(T + 1_000_000),
            complete_till_to: Some(T + 4_000_000),
            limit: 50,
            ..Default::default()
        };
        assert_eq!(
            ids(tasks::list(&mut c, a, &window, Visibility::All)
                .await
                .unwrap()),
            vec![1, 2]
        );
        let contact = TaskFilter {
            entity_type: Some(EntityKind::Contacts),
            entity_ids: vec![10],
            responsible: vec![100, 101],
            limit: 50,
            ..Default::default()
        };
        assert_eq!(
            ids(tasks::list(&mut c, a, &contact, Visibility::All)
                .await
                .unwrap()),
            vec![1, 2]
        );
        let meetings = TaskFilter {
            task_type_ids: vec![task_types::MEETING],
            limit: 50,
            ..Default::default()
        };
        assert_eq!(
            ids(tasks::list(&mut c, a, &meetings, Visibility::All)
                .await
                .unwrap()),
            vec![3]
        );
        let page = TaskFilter {
            order_by: TaskOrder::CreatedAt,
            desc: true,
            limit: 2,
            offset: 1,
            ..Default::default()
        };
        assert_eq!(
            ids(tasks::list(&mut c, a, &page, Visibility::All)
                .await
                .unwrap()),
            vec![3, 2]
        );
        assert_eq!(tasks::count_open(&mut c, a, ana).await.unwrap(), 2);
        drop(c);

        let mut done = task(a, 1, ana, T + 3_600_000);
        done.is_completed = true;
        done.result_text = Some("Talked, sent offer".into());
        done.updated_by = ana;
        done.updated_at = T + 500;
        let mut tx = t.db.begin().await.unwrap();
        tasks::update(&mut tx, &done).await.unwrap();
        let mut ghost = done.clone();
        ghost.id = TaskId(99);
        assert!(matches!(
            tasks::update(&mut tx, &ghost).await,
            Err(StoreError::NotFound)
        ));
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        assert_eq!(
            tasks::get(&mut c, a, TaskId(1), Visibility::All)
                .await
                .unwrap(),
            Some(done)
        );
        let open = TaskFilter {
            is_completed: Some(false),
            limit: 50,
            ..Default::default()
        };
        assert_eq!(
            ids(tasks::list(&mut c, a, &open, Visibility::All)
                .await
                .unwrap()),
            vec![2, 3, 4]
        );
        let closed = TaskFilter {
            is_completed: Some(true),
            limit: 50,
            ..Default::default()
        };
        assert_eq!(
            ids(tasks::list(&mut c, a, &closed, Visibility::All)
                .await
                .unwrap()),
            vec![1]
        );
        assert_eq!(tasks::count_open(&mut c, a, ana).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn a_repeated_missed_call_finds_the_open_call_back_task() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let b = account(&t.db, 2).await;
        let hour = 3_600_000;
        let mut callback = task(a, 1, UserId(100), T + hour);
        callback.phone_e164 = Some("+34600111222".into());
        callback.created_at = T;
        let mut unknown_caller = task(a, 2, UserId(100), T + hour);
        unknown_caller.entity_type = None;
        unknown_caller.entity_id = None;
        unknown_caller.phone_e164 = Some("+34699000000".into());
        unknown_caller.created_at = T;
        // A manual task on the same contact is not a call-back.
        let mut manual = task(a, 3, UserId(100), T + hour);
        manual.entity_id = Some(30);
        manual.created_at = T;
        let mut other_account = task(b, 4, UserId(200), T + hour);
        other_account.phone_e164 = Some("+34611000000".into());
        let mut tx = t.db.begin().await.unwrap();
        for x in [&callback, &unknown_caller, &manual, &other_account] {
            tasks::insert(&mut tx, x).await.unwrap();
        }
        tx.commit().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        let find = |phone: Option<&'static str>, entity: Option<(EntityKind, i64)>, since: i64| {
            (phone, entity, since)
        };
        let cases = [
            (find(Some("+34600111222"), None, T - hour), Some(1)),
            (find(Some("+34600111222"), None, T + 1), None),
            (
                find(None, Some((EntityKind::Contacts, 10)), T - hour),
                Some(1),
            ),
            (
                find(
                    Some("+34600999999"),
                    Some((EntityKind::Contacts, 10)),
                    T - hour,
                ),
                Some(1),
            ),
            (find(Some("+34699000000"), None, T - hour), Some(2)),
            (find(None, Some((EntityKind::Contacts, 30)), T - hour), None),
            (find(Some("+34611000000"), None, T - hour), None),
            (find(None, None, T - hour), None),
        ];
        for ((phone, entity, since), want) in cases {
            let got = tasks::find_open_callback(&mut c, a, phone, entity, since)
                .await
                .unwrap();
            assert_eq!(
                got.map(|x| x.id.0),
                want,
                "{phone:?} {entity:?} {since} on {:?}",
                t.backend()
            );
        }
        drop(c);
        let mut tx = t.db.begin().await.unwrap();
        callback.is_completed = true;
        tasks::update(&mut tx, &callback).await.unwrap();
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        assert!(
            tasks::find_open_callback(&mut c, a, Some("+34600111222"), None, T - hour)
                .await
                .unwrap()
                .is_none(),
            "completed tasks do not count"
        );
    }
}

fn event(
    account: AccountId,
    kind: &str,
    entity: EntityKind,
    entity_id: i64,
    by: i64,
    at: i64,
) -> Event {
    Event {
        id: sb_domain::next_id(at),
        account_id: account,
        event_type: kind.into(),
        entity_type: entity,
        entity_id,
        created_by: UserId(by),
        created_at: at,
        value_before: json!([]),
        value_after: json!([{"note": {"id": entity_id}}]),
    }
}

#[tokio::test]
async fn events_append_in_order_and_filter() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let b = account(&t.db, 2).await;
        let mut written = Vec::new();
        let mut tx = t.db.begin().await.unwrap();
        for i in 0..6 {
            let (kind, entity) = if i % 2 == 0 {
                (event_types::INCOMING_CALL, EntityKind::Contacts)
            } else {
                (event_types::TASK_ADDED, EntityKind::Tasks)
            };
            let e = event(a, kind, entity, 10 + i % 3, 100 + i % 2, T + i);
            events::append(&mut tx, &e).await.unwrap();
            written.push(e);
        }
        // Several in one statement, all in the same transaction as the change.
        let batch: Vec<Event> = (0..3)
            .map(|i| {
                event(
                    a,
                    event_types::LEAD_STATUS_CHANGED,
                    EntityKind::Leads,
                    50,
                    100,
                    T + 10 + i,
                )
            })
            .collect();
        events::append_many(&mut tx, &batch).await.unwrap();
        written.extend(batch);
        events::append(
            &mut tx,
            &event(b, event_types::LEAD_ADDED, EntityKind::Leads, 1, 200, T),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        // A rolled-back change leaves no event.
        let mut tx = t.db.begin().await.unwrap();
        events::append(
            &mut tx,
            &event(
                a,
                event_types::LEAD_DELETED,
                EntityKind::Leads,
                50,
                100,
                T + 20,
            ),
        )
        .await
        .unwrap();
        tx.rollback().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        let ids = |v: Vec<Event>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
        let newest_first: Vec<i64> = written.iter().rev().map(|e| e.id).collect();
        let all = EventFilter {
            limit: 100,
            ..Default::default()
        };
        assert_eq!(
            ids(events::list(&mut c, a, &all).await.unwrap()),
            newest_first,
            "newest first, and nothing rolled back"
        );
        let asc = EventFilter {
            asc: true,
            limit: 100,
            ..Default::default()
        };
        let listed = events::list(&mut c, a, &asc).await.unwrap();
        assert_eq!(listed, written, "round trip, in append order");
        assert_eq!(
            events::get(&mut c, a, written[3].id).await.unwrap(),
            Some(written[3].clone())
        );
        assert_eq!(events::get(&mut c, b, written[3].id).await.unwrap(), None);

        // Cursor paging: after the 4th (ascending) comes the 5th.
        let after = EventFilter {
            asc: true,
            after_id: Some(written[3].id),
            limit: 2,
            ..Default::default()
        };
        assert_eq!(
            ids(events::list(&mut c, a, &after).await.unwrap()),
            vec![written[4].id, written[5].id]
        );
        let before = EventFilter {
            after_id: Some(written[3].id),
            limit: 100,
            ..Default::default()
        };
        assert_eq!(
            ids(events::list(&mut c, a, &before).await.unwrap()),
            vec![written[2].id, written[1].id, written[0].id]
        );
        let calls = EventFilter {
            types: vec![event_types::INCOMING_CALL.into()],
            asc: true,
            limit: 100,
            ..Default::default()
        };
        assert_eq!(
            ids(events::list(&mut c, a, &calls).await.unwrap()),
            vec![written[0].id, written[2].id, written[4].id]
        );
        let entity = EventFilter {
            entity_type: Some(EntityKind::Contacts),
            entity_ids: vec![10, 12],
            asc: true,
            limit: 100,
            ..Default::default()
        };
        assert_eq!(
            ids(events::list(&mut c, a, &entity).await.unwrap()),
            vec![written[0].id, written[2].id]
        );
        let by = EventFilter {
            created_by: vec![101],
            created_from: Some(T + 2),
            created_to: Some(T + 5),
            asc: true,
            limit: 100,
            ..Default::default()
        };
        assert_eq!(
            ids(events::list(&mut c, a, &by).await.unwrap()),
            vec![written[3].id, written[5].id]
        );
        let exact = EventFilter {
            ids: vec![written[7].id],
            limit: 100,
            ..Default::default()
        };
        assert_eq!(
            events::list(&mut c, a, &exact).await.unwrap()[0].event_type,
            event_types::LEAD_STATUS_CHANGED
        );
        let page = EventFilter {
            limit: 2,
            offset: 2,
            ..Default::default()
        };
        assert_eq!(
            ids(events::list(&mut c, a, &page).await.unwrap()),
            newest_first[2..4].to_vec()
        );
    }
}
