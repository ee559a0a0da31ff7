//! Accounts, users and groups for the telephony and feed tests.

use sb_domain::entities::{Account, Group, Role, User};
use sb_domain::{AccountId, GroupId, Rights, UserId};
use sb_store::{accounts, users, Db};

/// A fixed "now" (2027-01-15), so ids and times are realistic.
pub const T: i64 = 1_800_000_000_000;

pub async fn account(db: &Db, id: i64) -> AccountId {
    let mut tx = db.begin().await.unwrap();
    let a = Account {
        id: AccountId(id),
        name: format!("A{id}"),
        subdomain: format!("a{id}"),
        country: "ES".into(),
        currency: "EUR".into(),
        timezone: "Europe/Madrid".into(),
        created_at: T,
        updated_at: T,
    };
    accounts::insert(&mut tx, &a).await.unwrap();
    tx.commit().await.unwrap();
    a.id
}

pub async fn group(db: &Db, account: AccountId, id: i64) -> GroupId {
    let mut tx = db.begin().await.unwrap();
    users::insert_group(
        &mut tx,
        account,
        &Group {
            id: GroupId(id),
            name: format!("G{id}"),
        },
        T,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    GroupId(id)
}

pub async fn user(db: &Db, account: AccountId, id: i64, group: Option<GroupId>) -> UserId {
    let mut tx = db.begin().await.unwrap();
    let u = User {
        id: UserId(id),
        account_id: account,
        name: format!("U{id}"),
        email: format!("u{id}@a{}.test", account.0),
        lang: "en".into(),
        role: Role::Manager,
        group_id: group,
        rights: Rights::manager_default(),
        is_active: true,
        created_at: T,
        updated_at: T,
    };
    users::insert(&mut tx, &u, None).await.unwrap();
    tx.commit().await.unwrap();
    u.id
}
