//! Pipelines and their stages ("statuses", C6). Every pipeline has three system stages:
//! its own incoming-leads stage (type 1) and Closed-won / Closed-lost, whose ids are 142
//! and 143 in *every* pipeline, as in Kommo — so a status is identified by
//! (pipeline, id), never by id alone. Only the name of a system stage can change.

use crate::fields::FieldError;
use crate::{AccountId, PipelineId, StatusId};
use serde::{Deserialize, Serialize};

/// At most this many pipelines per account.
pub const MAX_PIPELINES: usize = 10;
/// At most this many stages per pipeline (system stages included).
pub const MAX_STATUSES: usize = 100;
/// Closed-won: the same id in every pipeline.
pub const WON: StatusId = StatusId(142);
/// Closed-lost: the same id in every pipeline.
pub const LOST: StatusId = StatusId(143);
/// Longest pipeline or stage name, in characters.
pub const MAX_NAME_CHARS: usize = 255;

/// Colors a client may give a stage (Kommo's fixed palette; others are refused).
pub const STATUS_COLORS: [&str; 21] = [
    "#fffeb2", "#fffd7f", "#fff000", "#ffeab2", "#ffdc7f", "#ffce5a", "#ffdbdb", "#ffc8c8",
    "#ff8f92", "#d6eaff", "#c1e0ff", "#98cbff", "#ebffb1", "#deff81", "#87f2c0", "#f9deff",
    "#f3beff", "#ccc8f9", "#eb93ff", "#f2f3f4", "#e6e8ea",
];
/// The fixed colors of the system stages (outside the palette, as in Kommo).
pub const INCOMING_COLOR: &str = "#c1c1c1";
pub const WON_COLOR: &str = "#CCFF66";
pub const LOST_COLOR: &str = "#D5D8DB";

/// Sort keys of the system stages: incoming first, won and lost last.
pub const INCOMING_SORT: i64 = 10;
pub const WON_SORT: i64 = 10_000;
pub const LOST_SORT: i64 = 11_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusType {
    Regular,
    /// The incoming-leads (unsorted) stage of a pipeline.
    Incoming,
}

impl StatusType {
    /// Kommo's `type`: 0 regular, 1 incoming.
    pub fn as_i64(self) -> i64 {
        match self {
            StatusType::Regular => 0,
            StatusType::Incoming => 1,
        }
    }
    pub fn from_i64(v: i64) -> Option<StatusType> {
        match v {
            0 => Some(StatusType::Regular),
            1 => Some(StatusType::Incoming),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub id: StatusId,
    pub account_id: AccountId,
    pub pipeline_id: PipelineId,
    pub name: String,
    pub sort: i64,
    pub color: String,
    pub status_type: StatusType,
    /// Kommo's `is_editable`: false for the system stages.
    pub is_editable: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A rule of pipelines and stages was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineRuleError {
    #[error("an account has at most {MAX_PIPELINES} pipelines")]
    TooManyPipelines,
    #[error("a pipeline has at most {MAX_STATUSES} stages")]
    TooManyStatuses,
    #[error("only the name of a system stage can change")]
    SystemStatusReadOnly,
    #[error("a system stage cannot be deleted")]
    SystemStatusUndeletable,
    #[error("the main pipeline cannot be deleted")]
    MainPipelineUndeletable,
    #[error("color {0} is not in the palette")]
    InvalidColor(String),
    #[error("the name is empty")]
    EmptyName,
    #[error("the name is longer than {MAX_NAME_CHARS} characters")]
    NameTooLong,
}

impl PipelineRuleError {
    /// The error as a Kommo-style validation item at `path` (e.g. `0.color`).
    pub fn to_field_error(&self, path: impl Into<String>) -> FieldError {
        let code = match self {
            PipelineRuleError::TooManyPipelines | PipelineRuleError::TooManyStatuses => {
                "LimitExceeded"
            }
            PipelineRuleError::SystemStatusReadOnly
            | PipelineRuleError::SystemStatusUndeletable
            | PipelineRuleError::MainPipelineUndeletable => "NotEditable",
            PipelineRuleError::InvalidColor(_) => "NotSupportedChoice",
            PipelineRuleError::EmptyName => "RequiredFilled",
            PipelineRuleError::NameTooLong => "InvalidLength",
        };
        FieldError::new(code, path, self.to_string())
    }
}

/// Checks a pipeline or stage name; returns it trimmed.
pub fn check_name(name: &str) -> Result<String, PipelineRuleError> {
    let t = name.trim();
    if t.is_empty() {
        return Err(PipelineRuleError::EmptyName);
    }
    if t.chars().count() > MAX_NAME_CHARS {
        return Err(PipelineRuleError::NameTooLong);
    }
    Ok(t.to_string())
}

/// Checks a stage color against the palette; returns it in the palette's (lowercase) form.
pub fn check_color(color: &str) -> Result<String, PipelineRuleError> {
    let c = color.trim().to_ascii_lowercase();
    if STATUS_COLORS.contains(&c.as_str()) {
        Ok(c)
    } else {
        Err(PipelineRuleError::InvalidColor(color.to_string()))
    }
}

/// Whether an account with `existing` pipelines may add `adding` more.
pub fn check_pipeline_count(existing: usize, adding: usize) -> Result<(), PipelineRuleError> {
    if existing.saturating_add(adding) > MAX_PIPELINES {
        Err(PipelineRuleError::TooManyPipelines)
    } else {
        Ok(())
    }
}

/// Whether a pipeline with `existing` stages may add `adding` more.
pub fn check_status_count(existing: usize, adding: usize) -> Result<(), PipelineRuleError> {
    if existing.saturating_add(adding) > MAX_STATUSES {
        Err(PipelineRuleError::TooManyStatuses)
    } else {
        Ok(())
    }
}

/// What a client may ask to change in a stage; `None` leaves a part as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusEdit {
    pub name: Option<String>,
    pub sort: Option<i64>,
    pub color: Option<String>,
}

impl Status {
    /// Incoming-leads, Closed-won and Closed-lost.
    pub fn is_system(&self) -> bool {
        self.status_type == StatusType::Incoming || self.id == WON || self.id == LOST
    }

    /// Closed-won or Closed-lost: a lead there is closed.
    pub fn is_closing(&self) -> bool {
        is_closing(self.id)
    }

    /// A new regular stage; the name and color are checked.
    pub fn regular(
        id: StatusId,
        account_id: AccountId,
        pipeline_id: PipelineId,
        name: &str,
        sort: i64,
        color: &str,
        now: i64,
    ) -> Result<Status, PipelineRuleError> {
        if id == WON || id == LOST {
            return Err(PipelineRuleError::SystemStatusReadOnly);
        }
        Ok(Status {
            id,
            account_id,
            pipeline_id,
            name: check_name(name)?,
            sort,
            color: check_color(color)?,
            status_type: StatusType::Regular,
            is_editable: true,
            created_at: now,
            updated_at: now,
        })
    }

    /// Applies an edit, enforcing the rules: a system stage only takes a new name (the
    /// same sort or color sent back unchanged is accepted, as clients echo objects).
    pub fn apply(&self, edit: &StatusEdit, now: i64) -> Result<Status, PipelineRuleError> {
        let mut s = self.clone();
        if let Some(n) = &edit.name {
            s.name = check_name(n)?;
        }
        if self.is_system() {
            let sort_changes = edit.sort.is_some_and(|v| v != self.sort);
            let color_changes = edit
                .color
                .as_deref()
                .is_some_and(|c| !c.trim().eq_ignore_ascii_case(&self.color));
            if sort_changes || color_changes {
                return Err(PipelineRuleError::SystemStatusReadOnly);
            }
        } else {
            if let Some(v) = edit.sort {
                s.sort = v;
            }
            if let Some(c) = &edit.color {
                s.color = check_color(c)?;
            }
        }
        s.updated_at = now;
        Ok(s)
    }

    /// Whether this stage may be deleted (leads in it are the service's concern).
    pub fn check_delete(&self) -> Result<(), PipelineRuleError> {
        if self.is_system() {
            Err(PipelineRuleError::SystemStatusUndeletable)
        } else {
            Ok(())
        }
    }
}

/// Whether a lead in this stage is closed (won or lost).
pub fn is_closing(status: StatusId) -> bool {
    status == WON || status == LOST
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    pub id: PipelineId,
    pub account_id: AccountId,
    pub name: String,
    pub sort: i64,
    pub is_main: bool,
    /// Whether incoming leads (unsorted) are collected in this pipeline.
    pub is_unsorted_on: bool,
    pub is_archive: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// The stages, ordered by sort. Written with the pipeline on insert; updating the
    /// pipeline row leaves them alone.
    pub statuses: Vec<Status>,
}

impl Pipeline {
    /// A pipeline with only its three system stages; `incoming_id` is the id of its
    /// incoming-leads stage (won and lost are always 142 and 143).
    pub fn with_system_statuses(
        id: PipelineId,
        account_id: AccountId,
        name: &str,
        sort: i64,
        incoming_id: StatusId,
        now: i64,
    ) -> Result<Pipeline, PipelineRuleError> {
        let sys = |sid: StatusId, name: &str, sort: i64, color: &str, t: StatusType| Status {
            id: sid,
            account_id,
            pipeline_id: id,
            name: name.to_string(),
            sort,
            color: color.to_string(),
            status_type: t,
            is_editable: false,
            created_at: now,
            updated_at: now,
        };
        Ok(Pipeline {
            id,
            account_id,
            name: check_name(name)?,
            sort,
            is_main: false,
            is_unsorted_on: true,
            is_archive: false,
            created_at: now,
            updated_at: now,
            statuses: vec![
                sys(
                    incoming_id,
                    "Incoming leads",
                    INCOMING_SORT,
                    INCOMING_COLOR,
                    StatusType::Incoming,
                ),
                sys(
                    WON,
                    "Closed - won",
                    WON_SORT,
                    WON_COLOR,
                    StatusType::Regular,
                ),
                sys(
                    LOST,
                    "Closed - lost",
                    LOST_SORT,
                    LOST_COLOR,
                    StatusType::Regular,
                ),
            ],
        })
    }

    /// Adds a regular stage, keeping the stages ordered by sort and within the limit.
    pub fn add_status(&mut self, s: Status) -> Result<(), PipelineRuleError> {
        check_status_count(self.statuses.len(), 1)?;
        self.statuses.push(s);
        self.statuses.sort_by_key(|s| (s.sort, s.id));
        Ok(())
    }

    pub fn status(&self, id: StatusId) -> Option<&Status> {
        self.statuses.iter().find(|s| s.id == id)
    }

    pub fn incoming_status(&self) -> Option<&Status> {
        self.statuses
            .iter()
            .find(|s| s.status_type == StatusType::Incoming)
    }

    /// Where a new lead goes when no stage is given: the first stage that is neither
    /// incoming nor closing (Kommo's default), else the incoming stage.
    pub fn first_working_status(&self) -> Option<&Status> {
        self.statuses
            .iter()
            .filter(|s| !s.is_system())
            .min_by_key(|s| (s.sort, s.id))
            .or_else(|| self.incoming_status())
    }

    /// Whether this pipeline may be deleted (leads in it are the service's concern).
    pub fn check_delete(&self) -> Result<(), PipelineRuleError> {
        if self.is_main {
            Err(PipelineRuleError::MainPipelineUndeletable)
        } else {
            Ok(())
        }
    }
}

/// The main pipeline of a new account: incoming leads, four working stages with
/// Kommo-like palette colors, won and lost. Ids come from the process id generator.
pub fn default_pipeline(account_id: AccountId, now: i64) -> Pipeline {
    let pid = PipelineId(crate::next_id(now));
    let sys = |sid: StatusId, name: &str, sort: i64, color: &str, t: StatusType| Status {
        id: sid,
        account_id,
        pipeline_id: pid,
        name: name.to_string(),
        sort,
        color: color.to_string(),
        status_type: t,
        is_editable: false,
        created_at: now,
        updated_at: now,
    };
    let mut statuses = vec![sys(
        StatusId(crate::next_id(now)),
        "Incoming leads",
        INCOMING_SORT,
        INCOMING_COLOR,
        StatusType::Incoming,
    )];
    for (i, (name, color)) in [
        ("First contact", "#98cbff"),
        ("Negotiation", "#fffd7f"),
        ("Decision making", "#ffce5a"),
        ("Contract", "#ffc8c8"),
    ]
    .into_iter()
    .enumerate()
    {
        statuses.push(Status {
            id: StatusId(crate::next_id(now)),
            account_id,
            pipeline_id: pid,
            name: name.to_string(),
            sort: 20 + 10 * i as i64,
            color: color.to_string(),
            status_type: StatusType::Regular,
            is_editable: true,
            created_at: now,
            updated_at: now,
        });
    }
    statuses.push(sys(
        WON,
        "Closed - won",
        WON_SORT,
        WON_COLOR,
        StatusType::Regular,
    ));
    statuses.push(sys(
        LOST,
        "Closed - lost",
        LOST_SORT,
        LOST_COLOR,
        StatusType::Regular,
    ));
    Pipeline {
        id: pid,
        account_id,
        name: "Sales".to_string(),
        sort: 1,
        is_main: true,
        is_unsorted_on: true,
        is_archive: false,
        created_at: now,
        updated_at: now,
        statuses,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn default_pipeline_has_system_and_working_stages() {
        let p = default_pipeline(AccountId(1), NOW);
        assert!(p.is_main);
        assert_eq!(p.statuses.len(), 7);
        assert_eq!(p.statuses.iter().filter(|s| s.is_system()).count(), 3);
        assert!(p
            .status(WON)
            .is_some_and(|s| s.is_closing() && !s.is_editable));
        assert!(p.status(LOST).is_some());
        assert_eq!(
            p.incoming_status().map(|s| s.name.as_str()),
            Some("Incoming leads")
        );
        assert_eq!(
            p.first_working_status().map(|s| s.name.as_str()),
            Some("First contact")
        );
        // Working stages use palette colors, so echoing them back validates.
        for s in p.statuses.iter().filter(|s| !s.is_system()) {
            assert!(check_color(&s.color).is_ok(), "{}", s.color);
            assert!(s.is_editable);
        }
        let mut sorts: Vec<i64> = p.statuses.iter().map(|s| s.sort).collect();
        let before = sorts.clone();
        sorts.sort();
        assert_eq!(sorts, before, "stages are listed in sort order");
    }

    #[test]
    fn system_stage_only_takes_a_new_name() {
        let p = default_pipeline(AccountId(1), NOW);
        let won = p.status(WON).cloned().unwrap();
        let renamed = won
            .apply(
                &StatusEdit {
                    name: Some(" Won! ".into()),
                    ..Default::default()
                },
                NOW + 1,
            )
            .unwrap();
        assert_eq!(renamed.name, "Won!");
        assert_eq!(renamed.color, WON_COLOR);
        // Echoing the unchanged color and sort is fine.
        assert!(won
            .apply(
                &StatusEdit {
                    name: Some("W".into()),
                    sort: Some(WON_SORT),
                    color: Some("#ccff66".into())
                },
                NOW
            )
            .is_ok());
        assert_eq!(
            won.apply(
                &StatusEdit {
                    color: Some("#fff000".into()),
                    ..Default::default()
                },
                NOW
            ),
            Err(PipelineRuleError::SystemStatusReadOnly)
        );
        assert_eq!(
            won.apply(
                &StatusEdit {
                    sort: Some(5),
                    ..Default::default()
                },
                NOW
            ),
            Err(PipelineRuleError::SystemStatusReadOnly)
        );
        let incoming = p.incoming_status().cloned().unwrap();
        assert!(incoming.is_system());
        assert_eq!(
            incoming.check_delete(),
            Err(PipelineRuleError::SystemStatusUndeletable)
        );
        assert_eq!(
            won.check_delete(),
            Err(PipelineRuleError::SystemStatusUndeletable)
        );
    }

    #[test]
    fn regular_stage_edits_and_palette() {
        let s = Status::regular(
            StatusId(9),
            AccountId(1),
            PipelineId(2),
            "Demo",
            30,
            "#FFF000",
            NOW,
        )
        .unwrap();
        assert_eq!(s.color, "#fff000");
        assert!(!s.is_system());
        assert!(s.check_delete().is_ok());
        let e = s
            .apply(
                &StatusEdit {
                    name: None,
                    sort: Some(40),
                    color: Some("#87f2c0".into()),
                },
                NOW + 5,
            )
            .unwrap();
        assert_eq!(
            (e.sort, e.color.as_str(), e.updated_at),
            (40, "#87f2c0", NOW + 5)
        );
        assert_eq!(
            s.apply(
                &StatusEdit {
                    color: Some("#123456".into()),
                    ..Default::default()
                },
                NOW
            ),
            Err(PipelineRuleError::InvalidColor("#123456".into()))
        );
        assert_eq!(
            Status::regular(
                StatusId(10),
                AccountId(1),
                PipelineId(2),
                "  ",
                30,
                "#fff000",
                NOW
            ),
            Err(PipelineRuleError::EmptyName)
        );
        assert_eq!(
            Status::regular(WON, AccountId(1), PipelineId(2), "x", 30, "#fff000", NOW),
            Err(PipelineRuleError::SystemStatusReadOnly)
        );
        assert!(check_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert_eq!(
            PipelineRuleError::InvalidColor("#1".into())
                .to_field_error("0.color")
                .code,
            "NotSupportedChoice"
        );
    }

    #[test]
    fn limits() {
        assert!(check_pipeline_count(9, 1).is_ok());
        assert_eq!(
            check_pipeline_count(10, 1),
            Err(PipelineRuleError::TooManyPipelines)
        );
        assert_eq!(
            check_pipeline_count(8, 3),
            Err(PipelineRuleError::TooManyPipelines)
        );
        assert!(check_status_count(99, 1).is_ok());
        assert_eq!(
            check_status_count(100, 1),
            Err(PipelineRuleError::TooManyStatuses)
        );
        let mut p = Pipeline::with_system_statuses(
            PipelineId(5),
            AccountId(1),
            "Second",
            2,
            StatusId(50),
            NOW,
        )
        .unwrap();
        assert_eq!(p.statuses.len(), 3);
        assert!(p
            .first_working_status()
            .is_some_and(|s| s.status_type == StatusType::Incoming));
        let mut n = 0;
        while p.statuses.len() < MAX_STATUSES {
            n += 1;
            p.add_status(
                Status::regular(
                    StatusId(1000 + n),
                    AccountId(1),
                    p.id,
                    "s",
                    20 + n,
                    "#fff000",
                    NOW,
                )
                .unwrap(),
            )
            .unwrap();
        }
        assert_eq!(
            p.add_status(
                Status::regular(StatusId(5000), AccountId(1), p.id, "s", 20, "#fff000", NOW)
                    .unwrap()
            ),
            Err(PipelineRuleError::TooManyStatuses)
        );
        assert_eq!(p.statuses.last().map(|s| s.id), Some(LOST));
        assert_eq!(p.check_delete(), Ok(()));
        assert_eq!(
            default_pipeline(AccountId(1), NOW).check_delete(),
            Err(PipelineRuleError::MainPipelineUndeletable)
        );
    }

    #[test]
    fn status_type_codes() {
        assert_eq!(
            StatusType::from_i64(StatusType::Incoming.as_i64()),
            Some(StatusType::Incoming)
        );
        assert_eq!(StatusType::from_i64(0), Some(StatusType::Regular));
        assert_eq!(StatusType::from_i64(2), None);
    }
}
