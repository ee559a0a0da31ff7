use sb_domain::{AccountId, UserId};
use sb_store::sessions::{self, Session};

const ACCOUNT: &str = "insert into accounts (id, name, subdomain, country, currency, timezone, created_at, updated_at) values (1, 'A', 'a', 'ES', 'EUR', 'UTC', 0, 0)";

fn session(user: i64, expires_at: i64) -> Session {
    Session {
        account_id: AccountId(1),
        user_id: UserId(user),
        csrf: format!("csrf{user}"),
        created_at: 10,
        last_seen_at: 10,
        expires_at,
        ip: "192.0.2.1".into(),
        user_agent: "ua".into(),
    }
}

#[tokio::test]
async fn sessions_are_found_by_hash_touched_and_ended_per_user() {
    for t in sb_testkit::backends().await {
        t.db.execute_admin(ACCOUNT).await.unwrap();
        let mut tx = t.db.begin().await.unwrap();
        for (hash, user, exp) in [
            ("a1", 7, 100),
            ("a2", 7, 200),
            ("a3", 7, 300),
            ("b1", 8, 50),
        ] {
            sessions::insert(&mut tx, hash, &session(user, exp))
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let mut tx = t.db.begin().await.unwrap();
        assert_eq!(
            sessions::get(&mut tx, "a1").await.unwrap(),
            Some(session(7, 100))
        );
        assert!(sessions::get(&mut tx, "zz").await.unwrap().is_none());
        assert!(sessions::touch(&mut tx, AccountId(1), "a1", 40, 140)
            .await
            .unwrap());
        // Another account's key does not reach it.
        assert!(!sessions::touch(&mut tx, AccountId(2), "a1", 50, 150)
            .await
            .unwrap());
        let s = sessions::get(&mut tx, "a1").await.unwrap().unwrap();
        assert_eq!((s.last_seen_at, s.expires_at), (40, 140));

        // All of user 7's but a2; user 8's stays.
        let n = sessions::delete_for_user(&mut tx, AccountId(1), UserId(7), Some("a2"))
            .await
            .unwrap();
        assert_eq!(n, 2);
        let left = sessions::list_for_user(&mut tx, AccountId(1), UserId(7))
            .await
            .unwrap();
        assert_eq!(left, [session(7, 200)]);
        // Expired by 50: b1 only.
        assert_eq!(sessions::prune(&mut tx, 50).await.unwrap(), 1);
        assert!(sessions::get(&mut tx, "a2").await.unwrap().is_some());
        assert!(sessions::delete(&mut tx, "a2").await.unwrap());
        assert!(!sessions::delete(&mut tx, "a2").await.unwrap());
        assert_eq!(
            sessions::delete_for_user(&mut tx, AccountId(1), UserId(7), None)
                .await
                .unwrap(),
            0
        );
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn failures_are_read_newest_first_and_old_ones_pruned() {
    for t in sb_testkit::backends().await {
        let mut tx = t.db.begin().await.unwrap();
        for at in [100, 200, 300, 400] {
            sessions::record_failure(&mut tx, &["email:a@x", "ip:1"], at, 0)
                .await
                .unwrap();
        }
        assert_eq!(
            sessions::recent_failures(&mut tx, "email:a@x", 0, 3)
                .await
                .unwrap(),
            [400, 300, 200]
        );
        assert_eq!(
            sessions::recent_failures(&mut tx, "ip:1", 250, 10)
                .await
                .unwrap(),
            [400, 300]
        );
        // A new failure drops everything at or before its horizon, for every key.
        sessions::record_failure(&mut tx, &["ip:2"], 500, 300)
            .await
            .unwrap();
        assert_eq!(
            sessions::recent_failures(&mut tx, "ip:1", 0, 10)
                .await
                .unwrap(),
            [400]
        );
        sessions::clear_failures(&mut tx, "email:a@x")
            .await
            .unwrap();
        assert!(sessions::recent_failures(&mut tx, "email:a@x", 0, 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            sessions::recent_failures(&mut tx, "ip:2", 0, 10)
                .await
                .unwrap(),
            [500]
        );
        tx.commit().await.unwrap();
    }
}
