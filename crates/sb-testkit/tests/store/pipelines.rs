use sb_domain::entities::Account;
use sb_domain::pipelines::{
    self as rules, default_pipeline, Pipeline, PipelineRuleError, Status, StatusEdit, StatusType,
    LOST, MAX_PIPELINES, MAX_STATUSES, WON,
};
use sb_domain::{AccountId, PipelineId, StatusId};
use sb_store::{accounts, pipelines, Db, StoreError};

const NOW: i64 = 1_800_000_000_000;

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

#[tokio::test]
async fn won_and_lost_have_the_same_ids_in_every_pipeline() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let b = account(&t.db, 2).await;
        let main = default_pipeline(a, NOW);
        let mut second =
            Pipeline::with_system_statuses(PipelineId(500), a, "Partners", 2, StatusId(5000), NOW)
                .unwrap();
        second
            .add_status(
                Status::regular(
                    StatusId(5001),
                    a,
                    second.id,
                    "Qualified",
                    20,
                    "#87f2c0",
                    NOW,
                )
                .unwrap(),
            )
            .unwrap();
        let other = Pipeline::with_system_statuses(
            PipelineId(900),
            b,
            "Other account",
            1,
            StatusId(9000),
            NOW,
        )
        .unwrap();
        let mut tx = t.db.begin().await.unwrap();
        pipelines::insert(&mut tx, &main).await.unwrap();
        pipelines::insert(&mut tx, &second).await.unwrap();
        pipelines::insert(&mut tx, &other).await.unwrap();
        tx.commit().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        let all = pipelines::list(&mut c, a).await.unwrap();
        assert_eq!(all.len(), 2, "{:?}", t.backend());
        assert_eq!(
            all[0], main,
            "a pipeline reads back as written, stages in sort order"
        );
        assert_eq!(
            all[1].statuses.iter().map(|s| s.id).collect::<Vec<_>>(),
            vec![StatusId(5000), StatusId(5001), WON, LOST]
        );
        for p in &all {
            assert!(p
                .status(WON)
                .is_some_and(|s| s.pipeline_id == p.id && s.is_system()));
            assert!(p
                .status(LOST)
                .is_some_and(|s| s.pipeline_id == p.id && s.is_system()));
            assert_eq!(
                p.statuses
                    .iter()
                    .filter(|s| s.status_type == StatusType::Incoming)
                    .count(),
                1
            );
        }
        assert_eq!(pipelines::count(&mut c, a).await.unwrap(), 2);
        assert_eq!(pipelines::count(&mut c, b).await.unwrap(), 1);
        assert_eq!(
            pipelines::count_statuses(&mut c, a, second.id)
                .await
                .unwrap(),
            4
        );
        assert_eq!(
            pipelines::main(&mut c, a).await.unwrap().map(|p| p.id),
            Some(main.id)
        );
        assert!(
            pipelines::get(&mut c, a, other.id).await.unwrap().is_none(),
            "another account's pipeline is invisible"
        );

        // Renaming won in one pipeline leaves the other pipeline's won alone; a system
        // stage refuses anything beyond its name.
        let won2 = pipelines::get_status(&mut c, a, second.id, WON)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            won2.apply(
                &StatusEdit {
                    color: Some("#fff000".into()),
                    ..Default::default()
                },
                NOW
            ),
            Err(PipelineRuleError::SystemStatusReadOnly)
        );
        let renamed = won2
            .apply(
                &StatusEdit {
                    name: Some("Signed".into()),
                    ..Default::default()
                },
                NOW + 1,
            )
            .unwrap();
        drop(c);
        let mut tx = t.db.begin().await.unwrap();
        pipelines::update_status(&mut tx, &renamed).await.unwrap();
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        assert_eq!(
            pipelines::get_status(&mut c, a, second.id, WON)
                .await
                .unwrap()
                .unwrap()
                .name,
            "Signed"
        );
        assert_eq!(
            pipelines::get_status(&mut c, a, main.id, WON)
                .await
                .unwrap()
                .unwrap()
                .name,
            "Closed - won"
        );
        assert!(pipelines::get_status(&mut c, b, second.id, WON)
            .await
            .unwrap()
            .is_none());
        drop(c);

        // The same (pipeline, id) twice is a conflict; the same id in another pipeline is not.
        let mut tx = t.db.begin().await.unwrap();
        let dup =
            Status::regular(StatusId(5001), a, second.id, "Again", 30, "#fff000", NOW).unwrap();
        assert!(matches!(
            pipelines::insert_status(&mut tx, &dup).await,
            Err(StoreError::Conflict { .. })
        ));
        tx.rollback().await.unwrap();
        let mut tx = t.db.begin().await.unwrap();
        pipelines::insert_status(
            &mut tx,
            &Status::regular(
                StatusId(5001),
                a,
                main.id,
                "Same id elsewhere",
                30,
                "#fff000",
                NOW,
            )
            .unwrap(),
        )
        .await
        .unwrap();

        // Main switch and pipeline update.
        pipelines::set_main(&mut tx, a, second.id, NOW + 2)
            .await
            .unwrap();
        let mut p2 = pipelines::get(&mut tx, a, second.id)
            .await
            .unwrap()
            .unwrap();
        p2.name = "Partners 2".into();
        p2.is_unsorted_on = false;
        p2.updated_at = NOW + 3;
        pipelines::update(&mut tx, &p2).await.unwrap();
        assert!(matches!(
            pipelines::set_main(&mut tx, a, PipelineId(12345), NOW).await,
            Err(StoreError::NotFound)
        ));
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        let all = pipelines::list(&mut c, a).await.unwrap();
        assert_eq!(
            all.iter()
                .filter(|p| p.is_main)
                .map(|p| p.id)
                .collect::<Vec<_>>(),
            vec![second.id]
        );
        let p2 = all.iter().find(|p| p.id == second.id).unwrap();
        assert_eq!(
            (p2.name.as_str(), p2.is_unsorted_on, p2.updated_at),
            ("Partners 2", false, NOW + 3)
        );
        drop(c);

        // Deleting a regular stage, then the (former main) pipeline with its stages.
        let mut tx = t.db.begin().await.unwrap();
        assert!(
            pipelines::delete_status(&mut tx, a, second.id, StatusId(5001))
                .await
                .unwrap()
        );
        assert!(
            !pipelines::delete_status(&mut tx, a, second.id, StatusId(5001))
                .await
                .unwrap()
        );
        assert!(pipelines::delete(&mut tx, a, main.id).await.unwrap());
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        assert_eq!(pipelines::count(&mut c, a).await.unwrap(), 1);
        assert!(pipelines::list_statuses(&mut c, a, main.id)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            pipelines::list_statuses(&mut c, a, second.id)
                .await
                .unwrap()
                .len(),
            3
        );
        assert_eq!(
            pipelines::list_statuses(&mut c, b, other.id)
                .await
                .unwrap()
                .len(),
            3
        );
    }
}

#[tokio::test]
async fn limits_hold_against_stored_counts() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let mut tx = t.db.begin().await.unwrap();
        for i in 0..MAX_PIPELINES as i64 {
            let n = tx_count(&mut tx, a).await;
            rules::check_pipeline_count(n, 1).unwrap();
            let p = Pipeline::with_system_statuses(
                PipelineId(100 + i),
                a,
                &format!("P{i}"),
                i,
                StatusId(1000 + i),
                NOW,
            )
            .unwrap();
            pipelines::insert(&mut tx, &p).await.unwrap();
        }
        assert_eq!(
            rules::check_pipeline_count(tx_count(&mut tx, a).await, 1),
            Err(PipelineRuleError::TooManyPipelines)
        );

        // Fill one pipeline up to the stage limit in one multi-row insert.
        let pid = PipelineId(100);
        let have = pipelines::count_statuses(&mut tx, a, pid).await.unwrap() as usize;
        let more: Vec<Status> = (0..(MAX_STATUSES - have) as i64)
            .map(|i| {
                Status::regular(
                    StatusId(20_000 + i),
                    a,
                    pid,
                    &format!("S{i}"),
                    20 + i,
                    "#98cbff",
                    NOW,
                )
                .unwrap()
            })
            .collect();
        rules::check_status_count(have, more.len()).unwrap();
        pipelines::insert_statuses(&mut tx, &more).await.unwrap();
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        let n = pipelines::count_statuses(&mut c, a, pid).await.unwrap() as usize;
        assert_eq!(n, MAX_STATUSES);
        assert_eq!(
            rules::check_status_count(n, 1),
            Err(PipelineRuleError::TooManyStatuses)
        );
        let p = pipelines::get(&mut c, a, pid).await.unwrap().unwrap();
        assert_eq!(p.statuses.len(), MAX_STATUSES);
        assert_eq!(
            p.statuses.first().map(|s| s.status_type),
            Some(StatusType::Incoming)
        );
        assert_eq!(p.statuses.last().map(|s| s.id), Some(LOST));
        assert_eq!(
            p.first_working_status().map(|s| s.id),
            Some(StatusId(20_000))
        );
    }
}

async fn tx_count(tx: &mut sb_store::Tx, a: AccountId) -> usize {
    pipelines::count(tx, a).await.unwrap() as usize
}
