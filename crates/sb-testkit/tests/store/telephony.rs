//! Integrations, extension bindings and the blacklist.

use crate::tel_fixtures::{account, user, T};
use sb_domain::integrations::{BlacklistEntry, ExtensionBinding, Integration};
use sb_domain::{AccountId, IntegrationId, Phone, UserId};
use sb_store::{blacklist, integrations, StoreError};
use serde_json::json;

fn integration(account: AccountId, id: i64, token: &str) -> Integration {
    Integration {
        id: IntegrationId(id),
        account_id: account,
        provider: "zadarma".into(),
        name: format!("PBX {id}"),
        settings: json!({"key": "k", "secret": "s3cr3t", "base_url": "https://api.zadarma.com", "route_to_owner": true}),
        webhook_token: token.into(),
        webhook_token_sealed: String::new(),
        default_user_id: None,
        is_active: true,
        created_at: T,
        updated_at: T,
    }
}

fn binding(account: AccountId, integration: i64, ext: &str, user: UserId) -> ExtensionBinding {
    ExtensionBinding {
        account_id: account,
        integration_id: IntegrationId(integration),
        extension: ext.into(),
        user_id: user,
        created_at: T,
    }
}

fn conflict_field(r: Result<(), StoreError>) -> String {
    match r {
        Err(StoreError::Conflict { field }) => field,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn integrations_round_trip_and_are_found_by_token() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let b = account(&t.db, 2).await;
        let u = user(&t.db, a, 100, None).await;
        let mut tx = t.db.begin().await.unwrap();
        let mut i = integration(a, 10, "tok-aaaaaaaaaaaaaaaaaaaaaaaa");
        i.default_user_id = Some(u);
        integrations::insert(&mut tx, &i).await.unwrap();
        integrations::insert(&mut tx, &integration(b, 20, "tok-bbbbbbbbbbbbbbbbbbbbbbbb"))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut tx = t.db.begin().await.unwrap();
        let dup =
            integrations::insert(&mut tx, &integration(a, 11, "tok-aaaaaaaaaaaaaaaaaaaaaaaa"))
                .await;
        assert_eq!(conflict_field(dup), "webhook_token", "{:?}", t.backend());
        tx.rollback().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        assert_eq!(
            integrations::get(&mut c, a, IntegrationId(10))
                .await
                .unwrap(),
            Some(i.clone())
        );
        assert_eq!(
            integrations::get(&mut c, b, IntegrationId(10))
                .await
                .unwrap(),
            None,
            "another account's integration"
        );
        let found = integrations::by_webhook_token(&mut c, "tok-bbbbbbbbbbbbbbbbbbbbbbbb")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((found.account_id, found.id), (b, IntegrationId(20)));
        assert!(integrations::by_webhook_token(&mut c, "tok-nope")
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            integrations::list(&mut c, a, Some("zadarma"))
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(integrations::list(&mut c, a, Some("vipex"))
            .await
            .unwrap()
            .is_empty());
        drop(c);

        let mut changed = i.clone();
        changed.is_active = false;
        changed.settings = json!({"key": "k2"});
        changed.updated_at = T + 1;
        let mut tx = t.db.begin().await.unwrap();
        integrations::update(&mut tx, &changed).await.unwrap();
        let mut ghost = changed.clone();
        ghost.account_id = b;
        assert!(matches!(
            integrations::update(&mut tx, &ghost).await,
            Err(StoreError::NotFound)
        ));
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        assert_eq!(
            integrations::get(&mut c, a, IntegrationId(10))
                .await
                .unwrap(),
            Some(changed)
        );
        let shown = format!("{i:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("tok-a"),
            "secrets must not reach logs: {shown}"
        );
    }
}

#[tokio::test]
async fn an_extension_has_one_user_and_a_user_one_extension() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let (u1, u2) = (
            user(&t.db, a, 100, None).await,
            user(&t.db, a, 101, None).await,
        );
        let mut tx = t.db.begin().await.unwrap();
        integrations::insert(&mut tx, &integration(a, 10, "tok-1"))
            .await
            .unwrap();
        integrations::insert(&mut tx, &integration(a, 11, "tok-2"))
            .await
            .unwrap();
        integrations::bind_extension(&mut tx, &binding(a, 10, "101", u1))
            .await
            .unwrap();
        // The same extension on another PBX is another extension.
        integrations::bind_extension(&mut tx, &binding(a, 11, "101", u2))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut tx = t.db.begin().await.unwrap();
        let taken = integrations::bind_extension(&mut tx, &binding(a, 10, "101", u2)).await;
        assert_eq!(conflict_field(taken), "extension", "{:?}", t.backend());
        tx.rollback().await.unwrap();
        let mut tx = t.db.begin().await.unwrap();
        let second = integrations::bind_extension(&mut tx, &binding(a, 10, "102", u1)).await;
        assert_eq!(conflict_field(second), "user_id", "{:?}", t.backend());
        tx.rollback().await.unwrap();

        // Moving a user to a free extension frees the old one.
        let mut tx = t.db.begin().await.unwrap();
        integrations::set_user_extension(&mut tx, a, IntegrationId(10), u1, Some("103"), T)
            .await
            .unwrap();
        integrations::bind_extension(&mut tx, &binding(a, 10, "101", u2))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // Taking someone's extension fails and, rolled back, changes nothing.
        let mut tx = t.db.begin().await.unwrap();
        let steal =
            integrations::set_user_extension(&mut tx, a, IntegrationId(10), u2, Some("103"), T)
                .await;
        assert_eq!(conflict_field(steal), "extension");
        tx.rollback().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        let id = IntegrationId(10);
        assert_eq!(
            integrations::user_for_extension(&mut c, a, id, "103")
                .await
                .unwrap(),
            Some(u1)
        );
        assert_eq!(
            integrations::user_for_extension(&mut c, a, id, "101")
                .await
                .unwrap(),
            Some(u2)
        );
        assert_eq!(
            integrations::user_for_extension(&mut c, a, id, "102")
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            integrations::extension_for_user(&mut c, a, id, u2)
                .await
                .unwrap()
                .as_deref(),
            Some("101")
        );
        let list: Vec<(String, UserId)> = integrations::list_extensions(&mut c, a, id)
            .await
            .unwrap()
            .into_iter()
            .map(|b| (b.extension, b.user_id))
            .collect();
        assert_eq!(list, vec![("101".to_string(), u2), ("103".to_string(), u1)]);
        drop(c);

        let mut tx = t.db.begin().await.unwrap();
        assert!(integrations::unbind_extension(&mut tx, a, id, "101")
            .await
            .unwrap());
        assert!(!integrations::unbind_extension(&mut tx, a, id, "101")
            .await
            .unwrap());
        integrations::set_user_extension(&mut tx, a, id, u1, None, T)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        assert!(integrations::list_extensions(&mut c, a, id)
            .await
            .unwrap()
            .is_empty());
    }
}

fn entry(account: AccountId, id: i64, number: &str) -> BlacklistEntry {
    BlacklistEntry {
        id,
        account_id: account,
        phone: Phone::parse(number, "ES"),
        note: "spam".into(),
        created_by: UserId(0),
        created_at: T + id,
    }
}

#[tokio::test]
async fn blacklist_adds_finds_lists_and_removes() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let b = account(&t.db, 2).await;
        let mut tx = t.db.begin().await.unwrap();
        blacklist::add(&mut tx, &entry(a, 1, "+34 600 111 222"))
            .await
            .unwrap();
        blacklist::add(&mut tx, &entry(a, 2, "+34 911 234 567"))
            .await
            .unwrap();
        blacklist::add(&mut tx, &entry(a, 3, "anonymous"))
            .await
            .unwrap();
        blacklist::add(&mut tx, &entry(b, 4, "+34 699 000 000"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = t.db.begin().await.unwrap();
        let dup = blacklist::add(&mut tx, &entry(a, 5, "0034600111222")).await;
        assert!(
            matches!(dup, Err(StoreError::Conflict { ref field }) if field == "phone"),
            "{dup:?}"
        );
        tx.rollback().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        for caller in ["34600111222", "600111222", "+34600111222"] {
            let hit = blacklist::find(&mut c, a, &Phone::parse(caller, "ES"))
                .await
                .unwrap();
            assert_eq!(hit.map(|e| e.id), Some(1), "{caller} on {:?}", t.backend());
            if let Some(lite) = t.db.lite() {
                let fast = lite
                    .read(|c| blacklist::find_lite(c, a, &Phone::parse(caller, "ES")))
                    .unwrap();
                assert_eq!(fast.map(|e| e.id), Some(1), "{caller} on the fast lane");
            }
        }
        assert_eq!(
            blacklist::find(&mut c, a, &Phone::parse("anonymous", "ES"))
                .await
                .unwrap()
                .map(|e| e.id),
            Some(3)
        );
        assert!(
            blacklist::find(&mut c, a, &Phone::parse("+34 600 111 223", "ES"))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            blacklist::find(&mut c, a, &Phone::parse("+34 699 000 000", "ES"))
                .await
                .unwrap()
                .is_none(),
            "another account's entry"
        );
        if let Some(lite) = t.db.lite() {
            for (caller, want) in [
                ("anonymous", Some(3)),
                ("+34 600 111 223", None),
                ("+34 699 000 000", None),
            ] {
                let fast = lite
                    .read(|c| blacklist::find_lite(c, a, &Phone::parse(caller, "ES")))
                    .unwrap();
                assert_eq!(fast.map(|e| e.id), want, "{caller} on the fast lane");
            }
        }
        let got = blacklist::get(&mut c, a, 1).await.unwrap().unwrap();
        assert_eq!(got, entry(a, 1, "+34 600 111 222"));
        let listed: Vec<i64> = blacklist::list(&mut c, a, 10, 0)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(listed, vec![3, 2, 1], "newest first");
        assert_eq!(blacklist::list(&mut c, a, 1, 1).await.unwrap()[0].id, 2);
        assert_eq!(blacklist::count(&mut c, a).await.unwrap(), 3);
        drop(c);

        let mut tx = t.db.begin().await.unwrap();
        blacklist::remove(&mut tx, a, 1).await.unwrap();
        assert!(matches!(
            blacklist::remove(&mut tx, a, 1).await,
            Err(StoreError::NotFound)
        ));
        assert!(
            matches!(
                blacklist::remove(&mut tx, a, 4).await,
                Err(StoreError::NotFound)
            ),
            "another account's entry"
        );
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        assert!(blacklist::find(&mut c, a, &Phone::parse("600111222", "ES"))
            .await
            .unwrap()
            .is_none());
        assert_eq!(blacklist::count(&mut c, a).await.unwrap(), 2);
    }
}
