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
