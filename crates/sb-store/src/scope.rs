//! Rights on rows that hang off an entity (notes, events, feed items): a row is visible
//! when the entity it belongs to is inside the reader's scope for that entity kind. The
//! scope is turned into SQL (an indexed semi-join on the entity table), never applied
//! after the fact.

use crate::cards::push_visibility;
use crate::sql::Sql;
use sb_domain::{AccountId, EntityKind, Visibility};

/// One visibility per entity kind. An empty list means "no restriction" (the system, or
/// an administrator); a kind missing from a non-empty list is not visible at all.
pub type EntityScopes = Vec<(EntityKind, Visibility)>;

/// The table of an entity kind; its rows carry `id` and `responsible_user_id`.
fn table(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Leads => "leads",
        EntityKind::Contacts => "contacts",
        EntityKind::Companies => "companies",
        EntityKind::Tasks => "tasks",
    }
}

/// Appends ` and (...)` restricting rows whose entity is `(type_col, id_col)` (entity
/// types stored in their plural form, as `EntityKind::as_str`) to the scopes.
pub(crate) fn push_entity_scope(
    sql: &mut Sql,
    type_col: &str,
    id_col: &str,
    account: AccountId,
    scopes: &[(EntityKind, Visibility)],
) {
    if scopes.is_empty() {
        return;
    }
    let visible: Vec<&(EntityKind, Visibility)> = scopes
        .iter()
        .filter(|(_, v)| *v != Visibility::None)
        .collect();
    if visible.is_empty() {
        sql.push(" and 1 = 0");
        return;
    }
    sql.push(" and (");
    for (i, (kind, vis)) in visible.into_iter().enumerate() {
        if i > 0 {
            sql.push(" or ");
        }
        sql.push(&format!("({type_col} = ")).bind(kind.as_str());
        if *vis != Visibility::All {
            sql.push(&format!(
                " and {id_col} in (select k.id from {} k where k.account_id = ",
                table(*kind)
            ))
            .bind(account.0);
            push_visibility(sql, "k", account, *vis);
            sql.push(")");
        }
        sql.push(")");
    }
    sql.push(")");
}
