//! Rights model (C1): per entity, per action, a scope. The store turns a resolved
//! [`Visibility`] into SQL, so a row outside the scope is never read at all.

use crate::{GroupId, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    /// `D`: denied.
    #[serde(rename = "D")]
    None,
    /// `M`: only entities the user is responsible for.
    #[serde(rename = "M")]
    Own,
    /// `G`: entities of the user's group.
    #[serde(rename = "G")]
    Group,
    /// `A`: everything in the account.
    #[serde(rename = "A")]
    All,
}

impl Scope {
    pub fn letter(self) -> &'static str {
        match self {
            Scope::None => "D",
            Scope::Own => "M",
            Scope::Group => "G",
            Scope::All => "A",
        }
    }
    pub fn from_letter(s: &str) -> Option<Scope> {
        match s {
            "D" | "none" => Some(Scope::None),
            "M" | "own" => Some(Scope::Own),
            "G" | "group" => Some(Scope::Group),
            "A" | "all" => Some(Scope::All),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    View,
    Add,
    Edit,
    Delete,
    Export,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKind {
    Leads,
    Contacts,
    Companies,
    Tasks,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Leads => "leads",
            EntityKind::Contacts => "contacts",
            EntityKind::Companies => "companies",
            EntityKind::Tasks => "tasks",
        }
    }
    pub fn singular(self) -> &'static str {
        match self {
            EntityKind::Leads => "lead",
            EntityKind::Contacts => "contact",
            EntityKind::Companies => "company",
            EntityKind::Tasks => "task",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityRights {
    pub view: Scope,
    pub add: Scope,
    pub edit: Scope,
    pub delete: Scope,
    pub export: Scope,
}

impl EntityRights {
    pub const fn all() -> Self {
        EntityRights {
            view: Scope::All,
            add: Scope::All,
            edit: Scope::All,
            delete: Scope::All,
            export: Scope::All,
        }
    }
    pub const fn none() -> Self {
        EntityRights {
            view: Scope::None,
            add: Scope::None,
            edit: Scope::None,
            delete: Scope::None,
            export: Scope::None,
        }
    }
    pub fn get(&self, action: Action) -> Scope {
        match action {
            Action::View => self.view,
            Action::Add => self.add,
            Action::Edit => self.edit,
            Action::Delete => self.delete,
            Action::Export => self.export,
        }
    }
    /// Kommo's consistency rules: edit needs view, delete needs edit, export needs view,
    /// and "add" is all-or-nothing.
    pub fn normalised(mut self) -> Self {
        self.edit = self.edit.min(self.view);
        self.delete = self.delete.min(self.edit);
        self.export = self.export.min(self.view);
        if self.add != Scope::None {
            self.add = Scope::All;
        }
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rights {
    pub leads: EntityRights,
    pub contacts: EntityRights,
    pub companies: EntityRights,
    pub tasks: EntityRights,
}

impl Rights {
    pub fn admin() -> Self {
        Rights {
            leads: EntityRights::all(),
            contacts: EntityRights::all(),
            companies: EntityRights::all(),
            tasks: EntityRights::all(),
        }
    }
    /// A new manager sees and works everything but deletes only their own and exports nothing.
    pub fn manager_default() -> Self {
        let e = EntityRights {
            view: Scope::All,
            add: Scope::All,
            edit: Scope::All,
            delete: Scope::Own,
            export: Scope::None,
        };
        Rights {
            leads: e,
            contacts: e,
            companies: e,
            tasks: e,
        }
    }
    pub fn for_entity(&self, kind: EntityKind) -> &EntityRights {
        match kind {
            EntityKind::Leads => &self.leads,
            EntityKind::Contacts => &self.contacts,
            EntityKind::Companies => &self.companies,
            EntityKind::Tasks => &self.tasks,
        }
    }
    pub fn normalised(self) -> Self {
        Rights {
            leads: self.leads.normalised(),
            contacts: self.contacts.normalised(),
            companies: self.companies.normalised(),
            tasks: self.tasks.normalised(),
        }
    }
}

/// A scope resolved for one user: what the store filters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    All,
    Group(GroupId),
    Own(UserId),
    None,
}

impl Visibility {
    pub fn resolve(scope: Scope, user: UserId, group: Option<GroupId>) -> Visibility {
        match scope {
            Scope::All => Visibility::All,
            Scope::Group => match group {
                Some(g) => Visibility::Group(g),
                // A user outside any group has a group of one.
                None => Visibility::Own(user),
            },
            Scope::Own => Visibility::Own(user),
            Scope::None => Visibility::None,
        }
    }

    /// Whether an entity owned by `responsible` (whose group is `responsible_group`) is inside this scope.
    pub fn covers(&self, responsible: Option<UserId>, responsible_group: Option<GroupId>) -> bool {
        match self {
            Visibility::All => true,
            Visibility::Group(g) => responsible_group == Some(*g),
            Visibility::Own(u) => responsible == Some(*u),
            Visibility::None => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn normalising_clamps_dependent_actions() {
        let r = EntityRights {
            view: Scope::Own,
            add: Scope::Group,
            edit: Scope::All,
            delete: Scope::All,
            export: Scope::All,
        }
        .normalised();
        assert_eq!(r.edit, Scope::Own);
        assert_eq!(r.delete, Scope::Own);
        assert_eq!(r.export, Scope::Own);
        assert_eq!(r.add, Scope::All);
    }

    #[test]
    fn group_scope_without_group_is_own() {
        assert_eq!(
            Visibility::resolve(Scope::Group, UserId(5), None),
            Visibility::Own(UserId(5))
        );
        assert_eq!(
            Visibility::resolve(Scope::Group, UserId(5), Some(GroupId(2))),
            Visibility::Group(GroupId(2))
        );
    }
}
