use sb_domain::catalogs::{Catalog, CatalogElement, CatalogLink, CatalogRuleError, CatalogType};
use sb_domain::entities::Account;
use sb_domain::fields::{FieldValue, ValueItem};
use sb_domain::{AccountId, CatalogElementId, CatalogId, EntityKind, FieldId, UserId};
use sb_store::catalogs::{self, ElementFilter};
use sb_store::field_values::{self, FieldFilter};
use sb_store::{accounts, Db, StoreError};
use serde_json::json;

const NOW: i64 = 1_800_000_000_000;
const SKU: FieldId = FieldId(60);

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

fn catalog(a: AccountId, id: i64, name: &str, multiple: bool) -> Catalog {
    Catalog {
        id: CatalogId(id),
        account_id: a,
        name: name.into(),
        catalog_type: CatalogType::Products,
        sort: id,
        can_add_elements: true,
        can_link_multiple: multiple,
        created_by: UserId(1),
        updated_by: UserId(1),
        created_at: NOW,
        updated_at: NOW,
    }
}

fn element(a: AccountId, catalog: i64, id: i64, name: &str, sku: &str) -> CatalogElement {
    CatalogElement {
        id: CatalogElementId(id),
        account_id: a,
        catalog_id: CatalogId(catalog),
        name: name.into(),
        custom_fields: vec![FieldValue {
            field_id: SKU,
            values: vec![ValueItem {
                value: json!(sku),
                enum_id: None,
                enum_code: None,
            }],
        }],
        created_by: UserId(1),
        updated_by: UserId(1),
        created_at: NOW,
        updated_at: NOW,
        is_deleted: false,
    }
}

fn link(
    entity: EntityKind,
    entity_id: i64,
    catalog: i64,
    element: i64,
    quantity: f64,
) -> CatalogLink {
    CatalogLink {
        entity,
        entity_id,
        catalog_id: CatalogId(catalog),
        element_id: CatalogElementId(element),
        quantity,
    }
}

#[tokio::test]
async fn catalogs_elements_and_links() {
    for t in sb_testkit::backends().await {
        let a = account(&t.db, 1).await;
        let b = account(&t.db, 2).await;
        let mut tx = t.db.begin().await.unwrap();
        catalogs::insert(&mut tx, &catalog(a, 1000, "Products", true))
            .await
            .unwrap();
        catalogs::insert(&mut tx, &catalog(a, 1001, "Plans", false))
            .await
            .unwrap();
        catalogs::insert(&mut tx, &catalog(b, 2000, "Other", true))
            .await
            .unwrap();
        catalogs::insert_elements(
            &mut tx,
            &[
                element(a, 1000, 1, "Desk phone", "DP-1"),
                element(a, 1000, 2, "Headset", "HS-2"),
                element(a, 1000, 3, "Phone cable", "PC-3"),
                element(a, 1001, 4, "Basic plan", "BP"),
            ],
        )
        .await
        .unwrap();
        catalogs::insert_elements(&mut tx, &[element(b, 2000, 9, "Desk phone", "DP-1")])
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        let list = catalogs::list(&mut c, a).await.unwrap();
        assert_eq!(
            list.iter().map(|k| k.id.0).collect::<Vec<_>>(),
            vec![1000, 1001],
            "{:?}",
            t.backend()
        );
        assert_eq!(list[0], catalog(a, 1000, "Products", true));
        assert!(catalogs::get(&mut c, a, CatalogId(2000))
            .await
            .unwrap()
            .is_none());
        let phones = catalogs::list_elements(
            &mut c,
            a,
            CatalogId(1000),
            &ElementFilter {
                query: Some("PHONE".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            phones.iter().map(|e| e.id.0).collect::<Vec<_>>(),
            vec![1, 3]
        );
        assert_eq!(phones[0], element(a, 1000, 1, "Desk phone", "DP-1"));
        let by_id = catalogs::list_elements(
            &mut c,
            a,
            CatalogId(1000),
            &ElementFilter {
                ids: vec![CatalogElementId(2), CatalogElementId(4)],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            by_id.iter().map(|e| e.id.0).collect::<Vec<_>>(),
            vec![2],
            "an element of another catalog is not listed"
        );
        let sku = FieldFilter::Eq(vec!["dp-1".into()]);
        assert_eq!(
            field_values::find_entities(&mut c, a, SKU, &sku, 10)
                .await
                .unwrap(),
            vec![1],
            "element fields are indexed"
        );
        drop(c);

        // Links: quantity upserts, single-link catalogs are checked with the count.
        let mut tx = t.db.begin().await.unwrap();
        catalogs::link(&mut tx, a, &link(EntityKind::Leads, 77, 1000, 1, 2.0))
            .await
            .unwrap();
        catalogs::link(&mut tx, a, &link(EntityKind::Leads, 77, 1000, 2, 1.0))
            .await
            .unwrap();
        catalogs::link(&mut tx, a, &link(EntityKind::Leads, 77, 1000, 1, 3.5))
            .await
            .unwrap();
        catalogs::link(&mut tx, a, &link(EntityKind::Leads, 78, 1000, 1, 1.0))
            .await
            .unwrap();
        catalogs::link(&mut tx, a, &link(EntityKind::Contacts, 77, 1000, 3, 1.0))
            .await
            .unwrap();
        let plans = catalogs::get(&mut tx, a, CatalogId(1001))
            .await
            .unwrap()
            .unwrap();
        let n = catalogs::count_links(&mut tx, a, EntityKind::Leads, 77, plans.id, None)
            .await
            .unwrap() as usize;
        plans.check_link(EntityKind::Leads, n).unwrap();
        catalogs::link(&mut tx, a, &link(EntityKind::Leads, 77, 1001, 4, 1.0))
            .await
            .unwrap();
        let n = catalogs::count_links(&mut tx, a, EntityKind::Leads, 77, plans.id, None)
            .await
            .unwrap() as usize;
        assert_eq!(
            plans.check_link(EntityKind::Leads, n),
            Err(CatalogRuleError::SingleLinkOnly)
        );
        let n = catalogs::count_links(
            &mut tx,
            a,
            EntityKind::Leads,
            77,
            plans.id,
            Some(CatalogElementId(4)),
        )
        .await
        .unwrap() as usize;
        assert!(
            plans.check_link(EntityKind::Leads, n).is_ok(),
            "re-linking the same element only changes its quantity"
        );
        tx.commit().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        let of77 = catalogs::links_of(&mut c, a, EntityKind::Leads, &[77])
            .await
            .unwrap();
        assert_eq!(
            of77,
            vec![
                link(EntityKind::Leads, 77, 1000, 1, 3.5),
                link(EntityKind::Leads, 77, 1000, 2, 1.0),
                link(EntityKind::Leads, 77, 1001, 4, 1.0)
            ]
        );
        let to1 = catalogs::links_to_element(&mut c, a, CatalogElementId(1))
            .await
            .unwrap();
        assert_eq!(
            to1.iter().map(|l| l.entity_id).collect::<Vec<_>>(),
            vec![77, 78]
        );
        assert_eq!(
            catalogs::links_of(&mut c, a, EntityKind::Contacts, &[77])
                .await
                .unwrap(),
            vec![link(EntityKind::Contacts, 77, 1000, 3, 1.0)]
        );
        assert!(catalogs::links_of(&mut c, b, EntityKind::Leads, &[77])
            .await
            .unwrap()
            .is_empty());
        drop(c);

        // Update, unlink, delete an element (its links go), then the whole catalog.
        let mut tx = t.db.begin().await.unwrap();
        let mut e2 = catalogs::get_element(&mut tx, a, CatalogId(1000), CatalogElementId(2))
            .await
            .unwrap()
            .unwrap();
        e2.name = "Wireless headset".into();
        e2.custom_fields[0].values[0].value = json!("HS-3");
        e2.updated_at = NOW + 1;
        catalogs::update_element(&mut tx, &e2).await.unwrap();
        let mut ghost = e2.clone();
        ghost.catalog_id = CatalogId(1001);
        assert!(matches!(
            catalogs::update_element(&mut tx, &ghost).await,
            Err(StoreError::NotFound)
        ));
        let mut k = catalogs::get(&mut tx, a, CatalogId(1000))
            .await
            .unwrap()
            .unwrap();
        k.name = "Hardware".into();
        k.can_link_multiple = false;
        catalogs::update(&mut tx, &k).await.unwrap();
        assert!(
            catalogs::unlink(&mut tx, a, EntityKind::Leads, 77, CatalogElementId(2))
                .await
                .unwrap()
        );
        assert!(
            !catalogs::unlink(&mut tx, a, EntityKind::Leads, 77, CatalogElementId(2))
                .await
                .unwrap()
        );
        assert!(catalogs::delete_element(
            &mut tx,
            a,
            CatalogId(1000),
            CatalogElementId(1),
            UserId(2),
            NOW + 2
        )
        .await
        .unwrap());
        tx.commit().await.unwrap();

        let mut c = t.db.conn().await.unwrap();
        assert_eq!(
            catalogs::get(&mut c, a, CatalogId(1000))
                .await
                .unwrap()
                .map(|k| (k.name, k.can_link_multiple)),
            Some(("Hardware".to_string(), false))
        );
        assert_eq!(
            catalogs::get_element(&mut c, a, CatalogId(1000), CatalogElementId(2))
                .await
                .unwrap()
                .map(|e| e.name),
            Some("Wireless headset".into())
        );
        assert!(
            catalogs::get_element(&mut c, a, CatalogId(1000), CatalogElementId(1))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            catalogs::links_of(&mut c, a, EntityKind::Leads, &[77, 78])
                .await
                .unwrap(),
            vec![link(EntityKind::Leads, 77, 1001, 4, 1.0)]
        );
        let hs = FieldFilter::Eq(vec!["hs-3".into()]);
        assert_eq!(
            field_values::find_entities(&mut c, a, SKU, &hs, 10)
                .await
                .unwrap(),
            vec![2]
        );
        assert_eq!(
            catalogs::list_elements(&mut c, a, CatalogId(1000), &ElementFilter::default())
                .await
                .unwrap()
                .len(),
            2
        );
        drop(c);

        let mut tx = t.db.begin().await.unwrap();
        assert!(catalogs::delete(&mut tx, a, CatalogId(1001)).await.unwrap());
        assert!(
            !catalogs::delete(&mut tx, a, CatalogId(2000)).await.unwrap(),
            "another account's catalog is untouched"
        );
        tx.commit().await.unwrap();
        let mut c = t.db.conn().await.unwrap();
        assert!(catalogs::links_of(&mut c, a, EntityKind::Leads, &[77])
            .await
            .unwrap()
            .is_empty());
        assert_eq!(catalogs::list(&mut c, a).await.unwrap().len(), 1);
        assert!(field_values::find_entities(
            &mut c,
            a,
            SKU,
            &FieldFilter::Eq(vec!["bp".into()]),
            10
        )
        .await
        .unwrap()
        .is_empty());
        assert_eq!(
            catalogs::list_elements(&mut c, b, CatalogId(2000), &ElementFilter::default())
                .await
                .unwrap()
                .len(),
            1
        );
    }
}
