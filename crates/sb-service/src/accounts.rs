//! Accounts: first-start bootstrap and account creation with the predefined fields.

use crate::{auth, Ctx, ServiceError};
use sb_domain::entities::{Account, Role, User};
use sb_domain::fields::{FieldDef, FieldEnum, FieldType, EMAIL_ENUMS, PHONE_ENUMS};
use sb_domain::{AccountId, FieldId, Rights, UserId};
use sb_store::{accounts, custom_fields, users, Tx};

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub subdomain: String,
    pub country: String,
    pub currency: String,
    pub timezone: String,
    pub admin_name: String,
    pub admin_email: String,
}

/// The login printed once on first start.
#[derive(Debug, Clone)]
pub struct FirstLogin {
    pub account: Account,
    pub admin: User,
    pub email: String,
    pub password: String,
}

/// On an empty database, creates the first account and its admin with a random
/// password (returned once, never stored in clear). Does nothing otherwise.
pub async fn bootstrap(
    ctx: &Ctx,
    defaults: NewAccount,
) -> Result<Option<FirstLogin>, ServiceError> {
    let mut c = ctx.db.conn().await?;
    if accounts::first(&mut c).await?.is_some() {
        return Ok(None);
    }
    drop(c);
    let password = auth::random_hex(9);
    let (account, admin) = create_account(ctx, defaults.clone(), Some(password.clone())).await?;
    Ok(Some(FirstLogin {
        account,
        email: admin.email.clone(),
        admin,
        password,
    }))
}

/// Creates an account, its admin, its predefined custom fields and its main pipeline
/// in one transaction.
pub async fn create_account(
    ctx: &Ctx,
    n: NewAccount,
    admin_password: Option<String>,
) -> Result<(Account, User), ServiceError> {
    let now = ctx.now();
    let country = n.country.trim().to_ascii_uppercase();
    if country.len() != 2 {
        return Err(ServiceError::BadRequest(format!(
            "country must be an ISO 3166 alpha-2 code such as ES, got {:?}",
            n.country
        )));
    }
    let account = Account {
        id: AccountId(ctx.next_id()),
        name: n.name,
        subdomain: n.subdomain,
        country,
        currency: n.currency,
        timezone: n.timezone,
        created_at: now,
        updated_at: now,
    };
    let admin = User {
        id: UserId(ctx.next_id()),
        account_id: account.id,
        name: n.admin_name,
        email: n.admin_email.trim().to_lowercase(),
        lang: "en".into(),
        role: Role::Admin,
        group_id: None,
        rights: Rights::admin(),
        is_active: true,
        created_at: now,
        updated_at: now,
    };
    let hash = match admin_password {
        Some(p) => Some(auth::hash_password(p).await?),
        None => None,
    };
    let mut tx = ctx.db.begin().await?;
    accounts::insert(&mut tx, &account).await?;
    users::insert(&mut tx, &admin, hash.as_deref()).await?;
    insert_predefined_fields(ctx, &mut tx, account.id, now).await?;
    // C6: every account starts with one (main) pipeline.
    sb_store::pipelines::insert(
        &mut tx,
        &sb_domain::pipelines::default_pipeline(account.id, now),
    )
    .await?;
    tx.commit().await?;
    Ok((account, admin))
}

async fn insert_predefined_fields(
    ctx: &Ctx,
    tx: &mut Tx,
    account: AccountId,
    now: i64,
) -> Result<(), ServiceError> {
    let enums = |codes: &[&str]| -> Vec<FieldEnum> {
        codes
            .iter()
            .enumerate()
            .map(|(i, c)| FieldEnum {
                id: ctx.next_id(),
                value: (*c).to_string(),
                sort: (i as i64 + 1) * 2,
            })
            .collect()
    };
    for entity in ["contacts", "companies"] {
        let mut defs = vec![
            (
                Some("PHONE"),
                "Phone",
                FieldType::Multitext,
                enums(&PHONE_ENUMS),
            ),
            (
                Some("EMAIL"),
                "Email",
                FieldType::Multitext,
                enums(&EMAIL_ENUMS),
            ),
        ];
        if entity == "contacts" {
            defs.push((Some("POSITION"), "Position", FieldType::Text, vec![]));
        } else {
            defs.push((Some("WEB"), "Web", FieldType::Url, vec![]));
            defs.push((Some("ADDRESS"), "Address", FieldType::Textarea, vec![]));
        }
        for (i, (code, name, t, en)) in defs.into_iter().enumerate() {
            let d = FieldDef {
                id: FieldId(ctx.next_id()),
                entity: entity.into(),
                name: name.into(),
                code: code.map(str::to_string),
                field_type: t,
                sort: i as i64 + 1,
                enums: en,
                is_predefined: true,
                is_deletable: false,
            };
            custom_fields::insert(tx, account, &d, now).await?;
        }
    }
    Ok(())
}
