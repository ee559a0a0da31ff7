//! Users, roles, groups and rights (C1, C16).

use crate::{auth, Actor, Ctx, ServiceError};
use sb_domain::entities::{Group, Role, User};
use sb_domain::fields::FieldError;
use sb_domain::{GroupId, Rights, UserId};
use sb_store::users;

#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub password: Option<String>,
    pub role: Role,
    pub group_id: Option<GroupId>,
    pub rights: Option<Rights>,
    pub lang: Option<String>,
}

/// Longest user or group name, in characters.
pub const MAX_NAME_CHARS: usize = 255;

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    let n = name.trim();
    if n.is_empty() {
        errors.push(FieldError::required("name"));
    } else if n.chars().count() > MAX_NAME_CHARS {
        errors.push(FieldError::new(
            "InvalidLength",
            "name",
            "A name has 1 to 255 characters.",
        ));
    }
}

/// Creates a user (admins only). Every field is checked before anything is written, and
/// all the problems are reported together, each on its field (a form shows them there).
pub async fn create_user(ctx: &Ctx, actor: &Actor, n: NewUser) -> Result<User, ServiceError> {
    actor.require_admin()?;
    let mut errors = Vec::new();
    check_name(&n.name, &mut errors);
    let email = n.email.trim().to_lowercase();
    if !email.contains('@') || email.len() > 254 {
        errors.push(FieldError::new(
            "InvalidEmail",
            "email",
            "This value is not a valid e-mail address.",
        ));
    }
    if n.lang
        .as_deref()
        .is_some_and(|l| !crate::sessions::LANGS.contains(&l))
    {
        errors.push(FieldError::not_supported("lang"));
    }
    if n.password
        .as_deref()
        .is_some_and(|p| p.chars().count() < crate::sessions::MIN_PASSWORD_CHARS)
    {
        errors.push(FieldError::new(
            "TooShort",
            "password",
            format!(
                "A password has at least {} characters.",
                crate::sessions::MIN_PASSWORD_CHARS
            ),
        ));
    }
    if let Some(g) = n.group_id {
        let mut c = ctx.db.conn().await?;
        if !users::list_groups(&mut c, actor.account.id)
            .await?
            .iter()
            .any(|x| x.id == g)
        {
            errors.push(FieldError::not_supported("group_id"));
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(vec![crate::ItemErrors {
            request_id: "0".into(),
            errors,
        }]));
    }
    let now = ctx.now();
    let rights = match n.role {
        Role::Admin => Rights::admin(),
        Role::Manager => n
            .rights
            .unwrap_or_else(Rights::manager_default)
            .normalised(),
    };
    let user = User {
        id: UserId(ctx.next_id()),
        account_id: actor.account.id,
        name: n.name.trim().to_string(),
        email,
        lang: n.lang.unwrap_or_else(|| "en".into()),
        role: n.role,
        group_id: n.group_id,
        rights,
        is_active: true,
        created_at: now,
        updated_at: now,
    };
    let hash = match n.password {
        Some(p) => Some(auth::hash_password(p).await?),
        None => None,
    };
    let mut tx = ctx.db.begin().await?;
    users::insert(&mut tx, &user, hash.as_deref())
        .await
        .map_err(|e| match e {
            sb_store::StoreError::Conflict { .. } => ServiceError::one(
                "0",
                FieldError::new(
                    "NotUnique",
                    "email",
                    "A user with this e-mail already exists.",
                ),
            ),
            other => other.into(),
        })?;
    tx.commit().await?;
    Ok(user)
}

pub async fn set_rights(
    ctx: &Ctx,
    actor: &Actor,
    id: UserId,
    rights: Rights,
    group_id: Option<GroupId>,
) -> Result<User, ServiceError> {
    actor.require_admin()?;
    let mut tx = ctx.db.begin().await?;
    // Read with a lock: the whole row is written back below, so a change committed
    // between this read and that write (say, another admin's) would be undone.
    let mut user = users::lock(&mut tx, actor.account.id, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    user.rights = if user.is_admin() {
        Rights::admin()
    } else {
        rights.normalised()
    };
    user.group_id = group_id;
    user.updated_at = ctx.now();
    users::update(&mut tx, &user).await?;
    tx.commit().await?;
    Ok(user)
}

pub async fn list(ctx: &Ctx, actor: &Actor) -> Result<Vec<User>, ServiceError> {
    let mut c = ctx.db.conn().await?;
    Ok(users::list(&mut c, actor.account.id).await?)
}

pub async fn get(ctx: &Ctx, actor: &Actor, id: UserId) -> Result<User, ServiceError> {
    let mut c = ctx.db.conn().await?;
    users::get(&mut c, actor.account.id, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

pub async fn create_group(ctx: &Ctx, actor: &Actor, name: &str) -> Result<Group, ServiceError> {
    actor.require_admin()?;
    let mut errors = Vec::new();
    check_name(name, &mut errors);
    if !errors.is_empty() {
        return Err(ServiceError::one("0", errors.remove(0)));
    }
    let g = Group {
        id: GroupId(ctx.next_id()),
        name: name.trim().to_string(),
    };
    let mut tx = ctx.db.begin().await?;
    users::insert_group(&mut tx, actor.account.id, &g, ctx.now()).await?;
    tx.commit().await?;
    Ok(g)
}

pub async fn groups(ctx: &Ctx, actor: &Actor) -> Result<Vec<Group>, ServiceError> {
    let mut c = ctx.db.conn().await?;
    Ok(users::list_groups(&mut c, actor.account.id).await?)
}

/// Sets a user's password (admins, or the system for the demo).
pub async fn set_password(
    ctx: &Ctx,
    actor: &Actor,
    id: UserId,
    password: &str,
) -> Result<(), ServiceError> {
    if actor.user.id != id {
        actor.require_admin()?;
    }
    if password.chars().count() < 8 {
        return Err(ServiceError::BadRequest(
            "a password has at least 8 characters".into(),
        ));
    }
    let hash = auth::hash_password(password.to_string()).await?;
    let mut tx = ctx.db.begin().await?;
    users::get(&mut tx, actor.account.id, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    users::set_password(&mut tx, actor.account.id, id, &hash).await?;
    tx.commit().await?;
    Ok(())
}

/// Finds a user of the account by e-mail.
pub async fn by_email(ctx: &Ctx, actor: &Actor, email: &str) -> Result<Option<User>, ServiceError> {
    let mut c = ctx.db.conn().await?;
    Ok(users::by_email(&mut c, email)
        .await?
        .map(|(u, _)| u)
        .filter(|u| u.account_id == actor.account.id))
}

/// Deactivates or reactivates a user (admins only). Deactivation ends the user's
/// browser sessions in the same transaction, so no page of theirs loads after it
/// commits; their API tokens are refused from then on too ([`auth::authenticate`]
/// checks the user). An admin cannot deactivate themselves: an account could be left
/// with nobody to undo it.
pub async fn set_active(
    ctx: &Ctx,
    actor: &Actor,
    id: UserId,
    active: bool,
) -> Result<User, ServiceError> {
    actor.require_admin()?;
    if !active && actor.user.id == id {
        return Err(ServiceError::one(
            "0",
            FieldError::new(
                "NotEditable",
                "is_active",
                "You cannot deactivate yourself.",
            ),
        ));
    }
    let mut tx = ctx.db.begin().await?;
    let mut user = users::lock(&mut tx, actor.account.id, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if user.is_active != active {
        user.is_active = active;
        user.updated_at = ctx.now();
        users::update(&mut tx, &user).await?;
    }
    if !active {
        // Also when already inactive: a session left from before is not kept.
        sb_store::sessions::delete_for_user(&mut tx, actor.account.id, id, None).await?;
    }
    tx.commit().await?;
    Ok(user)
}

/// What an admin changes about a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub name: Option<String>,
    pub role: Option<Role>,
    /// `Some(None)` takes the user out of their group.
    pub group_id: Option<Option<GroupId>>,
    pub lang: Option<String>,
}

/// Changes a user's name, role, group or language (admins only). A role change sets
/// the rights the role starts with (all of them for an admin, a manager's defaults
/// otherwise), as [`create_user`] does. An admin cannot make themselves a manager: the
/// account could be left without an admin.
pub async fn update(
    ctx: &Ctx,
    actor: &Actor,
    id: UserId,
    u: UserUpdate,
) -> Result<User, ServiceError> {
    actor.require_admin()?;
    let mut errors = Vec::new();
    let name = u.name.as_deref().map(str::trim);
    if name.is_some_and(|n| n.is_empty() || n.chars().count() > 255) {
        errors.push(FieldError::new(
            "InvalidLength",
            "name",
            "A name has 1 to 255 characters.",
        ));
    }
    if u.lang
        .as_deref()
        .is_some_and(|l| !crate::sessions::LANGS.contains(&l))
    {
        errors.push(FieldError::not_supported("lang"));
    }
    if actor.user.id == id && u.role == Some(Role::Manager) {
        errors.push(FieldError::new(
            "NotEditable",
            "role",
            "You cannot take away your own administrator role.",
        ));
    }
    let mut tx = ctx.db.begin().await?;
    if let Some(Some(g)) = u.group_id {
        if !users::list_groups(&mut tx, actor.account.id)
            .await?
            .iter()
            .any(|x| x.id == g)
        {
            errors.push(FieldError::not_supported("group_id"));
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(vec![crate::ItemErrors {
            request_id: "0".into(),
            errors,
        }]));
    }
    // Read with a lock: the whole row is written back (see set_rights).
    let mut user = users::lock(&mut tx, actor.account.id, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if let Some(name) = name {
        user.name = name.to_string();
    }
    if let Some(role) = u.role.filter(|r| *r != user.role) {
        user.role = role;
        user.rights = match role {
            Role::Admin => Rights::admin(),
            Role::Manager => Rights::manager_default(),
        };
    }
    if let Some(group) = u.group_id {
        user.group_id = group;
    }
    if let Some(lang) = u.lang {
        user.lang = lang;
    }
    user.updated_at = ctx.now();
    users::update(&mut tx, &user).await?;
    tx.commit().await?;
    Ok(user)
}
