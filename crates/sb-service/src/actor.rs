//! The authenticated caller: every use case acts with these rights.

use sb_domain::entities::{Account, User};
use sb_domain::{Action, EntityKind, Visibility};

#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub account: Account,
}

impl Actor {
    pub fn visibility(&self, kind: EntityKind, action: Action) -> Visibility {
        if self.user.is_admin() {
            return Visibility::All;
        }
        let scope = self.user.rights.for_entity(kind).get(action);
        Visibility::resolve(scope, self.user.id, self.user.group_id)
    }

    pub fn can(&self, kind: EntityKind, action: Action) -> bool {
        self.visibility(kind, action) != Visibility::None
    }

    /// Whether the caller may `action` an entity of `kind` whose responsible user is
    /// `owner`: their scope (own, group, all) covers that user, whose group is read
    /// through `c` (the transaction holding the entity, for a change).
    pub async fn covers_owner(
        &self,
        c: &mut impl sb_store::DbConn,
        kind: EntityKind,
        action: Action,
        owner: Option<sb_domain::UserId>,
    ) -> Result<bool, crate::ServiceError> {
        let group = match owner {
            Some(u) => sb_store::users::get(c, self.account.id, u)
                .await?
                .and_then(|u| u.group_id),
            None => None,
        };
        Ok(self.visibility(kind, action).covers(owner, group))
    }

    pub fn is_admin(&self) -> bool {
        self.user.is_admin()
    }

    pub fn require_admin(&self) -> Result<(), crate::ServiceError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(crate::ServiceError::Forbidden(
                "only administrators can do this".into(),
            ))
        }
    }
}
