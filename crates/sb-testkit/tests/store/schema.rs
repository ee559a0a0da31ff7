use sb_store::schema_columns;
use sb_testkit::TestDb;

#[tokio::test]
async fn both_backends_have_the_same_tables_and_columns() {
    let sqlite = TestDb::sqlite().await;
    let lite = schema_columns(&sqlite.db).await.unwrap();
    assert!(lite.iter().any(|(t, c)| t == "phones" && c == "rev_digits"));
    let Some(pg) = TestDb::postgres().await else {
        eprintln!("SWITCHBOARD_TEST_PG_URL not set: PostgreSQL half skipped");
        return;
    };
    let pgc = schema_columns(&pg.db).await.unwrap();
    assert_eq!(lite, pgc, "schemas differ between SQLite and PostgreSQL");
}

#[tokio::test]
async fn migrating_twice_is_harmless() {
    for t in sb_testkit::backends().await {
        t.db.migrate().await.unwrap();
        t.db.ping().await.unwrap();
    }
}

/// Each table with an entity type: a row it accepts, as `insert` text with `{et}` for the
/// entity type and `{id}` for a key of the row; the spelling it takes and one it refuses;
/// the CHECK (migration 7) that refuses it.
const ENTITY_TYPE_ROWS: &[(&str, &str, &str, &str)] = &[
    ("insert into phones (account_id, entity_type, entity_id, position, raw, e164, rev_digits, enum_code) values (1, '{et}', {id}, 0, '600', null, '006', null)",
     "contacts", "contact", "phones_entity_type"),
    ("insert into notes (id, account_id, entity_type, entity_id, note_type, params, created_by, updated_by, responsible_user_id, created_at, updated_at, is_pinned) values ({id}, 1, '{et}', 1, 'common', '{}', 1, 1, null, 0, 0, 0)",
     "leads", "lead", "notes_entity_type"),
    ("insert into tasks (id, account_id, responsible_user_id, entity_type, entity_id, task_type_id, text, complete_till, is_completed, result_text, duration, phone_e164, created_by, updated_by, created_at, updated_at) values ({id}, 1, 1, '{et}', 1, 1, 't', 0, 0, null, 0, null, 1, 1, 0, 0)",
     "companies", "tasks", "tasks_entity_type"),
    ("insert into events (id, account_id, type, entity_type, entity_id, created_by, created_at, value_before, value_after) values ({id}, 1, 'x', '{et}', 1, 1, 0, '[]', '[]')",
     "tasks", "task", "events_entity_type"),
    ("insert into field_values (account_id, entity_type, entity_id, field_id, value_text, value_num, enum_id) values (1, '{et}', {id}, 1, 'x', null, null)",
     "catalog_elements", "catalog_element", "field_values_entity_type"),
    ("insert into tags (id, account_id, entity_type, name, name_key, color) values ({id}, 1, '{et}', 'n', 'n{id}', null)",
     "companies", "company", "tags_entity_type"),
    ("insert into entity_tags (account_id, entity_type, entity_id, tag_id) values (1, '{et}', {id}, 1)",
     "contacts", "contact", "entity_tags_entity_type"),
    ("insert into entity_links (account_id, entity_type, entity_id, to_entity_type, to_entity_id, catalog_id, quantity) values (1, '{et}', {id}, 'catalog_elements', 1, 1, 1)",
     "leads", "lead", "entity_links_entity_type"),
    ("insert into entity_links (account_id, entity_type, entity_id, to_entity_type, to_entity_id, catalog_id, quantity) values (1, 'leads', {id}, '{et}', 1, 1, 1)",
     "catalog_elements", "catalog_element", "entity_links_to_entity_type"),
];

const ACCOUNT: &str = "insert into accounts (id, name, subdomain, country, currency, timezone, created_at, updated_at) values (1, 'A', 'a', 'ES', 'EUR', 'UTC', 0, 0)";

#[tokio::test]
async fn every_entity_type_column_refuses_another_spelling() {
    for t in sb_testkit::backends().await {
        t.db.execute_admin(ACCOUNT).await.unwrap();
        for (i, (insert, good, bad, check)) in ENTITY_TYPE_ROWS.iter().enumerate() {
            let row = |et: &str, id: usize| {
                insert
                    .replace("{et}", et)
                    .replace("{id}", &(100 * i + id).to_string())
            };
            t.db.execute_admin(&row(good, 1)).await.unwrap();
            let e = t.db.execute_admin(&row(bad, 2)).await.unwrap_err();
            assert!(
                e.to_string().contains(check),
                "{:?}: {bad} in {check}: {e}",
                t.backend()
            );
        }
        // A task about nothing has no entity type.
        t.db.execute_admin(
            &ENTITY_TYPE_ROWS[2]
                .0
                .replace("'{et}'", "null")
                .replace("{id}", "299"),
        )
        .await
        .unwrap();
    }
}

/// A database on each backend with the migrations up to `version` only.
async fn at_version(version: i64) -> Vec<(sb_store::Db, Option<tempfile::TempDir>)> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let db = sb_store::Db::connect(&url).await.unwrap();
    sb_store::migrate_to(&db, version).await.unwrap();
    out.push((db, Some(dir)));
    if let Some(admin_url) = std::env::var("SWITCHBOARD_TEST_PG_URL")
        .ok()
        .filter(|s| !s.is_empty())
    {
        let name = format!("sbtest_{}", uuid::Uuid::new_v4().simple());
        let admin = sb_store::Db::connect(&admin_url).await.unwrap();
        admin
            .execute_admin(&format!("create database {name}"))
            .await
            .unwrap();
        admin.close().await;
        let db = sb_store::Db::connect(&sb_store::with_database_name(&admin_url, &name))
            .await
            .unwrap();
        sb_store::migrate_to(&db, version).await.unwrap();
        out.push((db, None));
    }
    out
}

#[tokio::test]
async fn rows_written_with_the_singular_survive_migration_7() {
    use sb_domain::{AccountId, CatalogElementId, EntityKind};
    for (db, _dir) in at_version(6).await {
        let backend = db.backend();
        for sql in [
            ACCOUNT,
            // As version 6 wrote them: entity_links, phones, tags, entity_tags and
            // field_values in the singular.
            "insert into entity_links (account_id, entity_type, entity_id, to_entity_type, to_entity_id, catalog_id, quantity) values (1, 'lead', 10, 'catalog_elements', 20, 30, 2.5)",
            "insert into entity_links (account_id, entity_type, entity_id, to_entity_type, to_entity_id, catalog_id, quantity) values (1, 'contact', 11, 'catalog_elements', 20, 30, 1)",
            "insert into phones (account_id, entity_type, entity_id, position, raw, e164, rev_digits, enum_code) values (1, 'contact', 11, 0, '600', null, '006', null)",
            "insert into tags (id, account_id, entity_type, name, name_key, color) values (5, 1, 'company', 'VIP', 'vip', null)",
            "insert into entity_tags (account_id, entity_type, entity_id, tag_id) values (1, 'company', 12, 5)",
            "insert into field_values (account_id, entity_type, entity_id, field_id, value_text, value_num, enum_id) values (1, 'catalog_element', 20, 7, 'x', null, null)",
            "insert into notes (id, account_id, entity_type, entity_id, note_type, params, created_by, updated_by, responsible_user_id, created_at, updated_at, is_pinned) values (40, 1, 'leads', 10, 'common', '{}', 1, 1, null, 0, 0, 0)",
        ] {
            db.execute_admin(sql).await.unwrap();
        }
        // Every CHECK holds once migrated, so no singular is left.
        db.migrate().await.unwrap();
        let mut c = db.conn().await.unwrap();
        let a = AccountId(1);
        let links = sb_store::catalogs::links_of(&mut c, a, EntityKind::Leads, &[10])
            .await
            .unwrap();
        assert_eq!(links.len(), 1, "{backend:?}");
        assert_eq!(
            (
                links[0].element_id,
                links[0].catalog_id.0,
                links[0].quantity
            ),
            (CatalogElementId(20), 30, 2.5)
        );
        let to = sb_store::catalogs::links_to_element(&mut c, a, CatalogElementId(20))
            .await
            .unwrap();
        let by: Vec<(EntityKind, i64)> = to.iter().map(|l| (l.entity, l.entity_id)).collect();
        assert_eq!(by, [(EntityKind::Contacts, 11), (EntityKind::Leads, 10)]);
        drop(c);
        // The other rows are there, in the plural: the same keys again collide.
        for sql in [
            "insert into phones (account_id, entity_type, entity_id, position, raw, e164, rev_digits, enum_code) values (1, 'contacts', 11, 0, '600', null, '006', null)",
            "insert into tags (id, account_id, entity_type, name, name_key, color) values (6, 1, 'companies', 'VIP', 'vip', null)",
            "insert into entity_tags (account_id, entity_type, entity_id, tag_id) values (1, 'companies', 12, 5)",
        ] {
            let e = db.execute_admin(sql).await.unwrap_err().to_string();
            assert!(
                e.contains("UNIQUE") || e.contains("duplicate key"),
                "{backend:?}: {sql}: {e}"
            );
        }
        db.close().await;
    }
}
