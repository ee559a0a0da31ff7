//! The dashboard: what a user starts the day with, in one read. Their open tasks due
//! today and overdue, their latest and missed calls, and the main pipeline's leads per
//! stage. Everything inside the user's own rights (tasks and leads by their scopes;
//! calls are the user's own).

use crate::{Actor, Ctx, ServiceError};
use sb_domain::calls::CallSession;
use sb_domain::feed::Task;
use sb_domain::pipelines::{Pipeline, Status};
use sb_domain::{Action, EntityKind};
use sb_store::calls::{self, CallFilter};
use sb_store::tasks::{self, TaskFilter, TaskOrder};

/// How many calls each of the dashboard's call lists shows.
pub const CALLS_SHOWN: i64 = 10;
/// How many tasks each of the dashboard's task lists shows.
pub const TASKS_SHOWN: i64 = 50;

/// One stage of the main pipeline with its live leads.
#[derive(Debug, Clone)]
pub struct StageFigures {
    pub status: Status,
    pub leads: i64,
    /// Sum of prices, minor units.
    pub price: i64,
}

#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Open tasks whose deadline has passed, oldest first.
    pub overdue: Vec<Task>,
    /// Open tasks due between now and the end of today, soonest first.
    pub today: Vec<Task>,
    /// The user's latest calls, newest first.
    pub recent_calls: Vec<CallSession>,
    /// Inbound calls to the user that nobody answered, newest first.
    pub missed_calls: Vec<CallSession>,
    pub pipeline: Pipeline,
    /// Every stage of the main pipeline in board order, with zero for an empty one.
    pub stages: Vec<StageFigures>,
}

/// The dashboard of `actor` at `now`; `day_end` is the last millisecond of today in the
/// account's time zone (the caller knows the zone's rules, see the web layer's formats).
pub async fn summary(
    ctx: &Ctx,
    actor: &Actor,
    now: i64,
    day_end: i64,
) -> Result<Dashboard, ServiceError> {
    let pipeline = crate::pipelines::ensure_main(ctx, actor.account.id).await?;
    let account = actor.account.id;
    let me = actor.user.id;
    let task_vis = actor.visibility(EntityKind::Tasks, Action::View);
    let mut c = ctx.db.conn().await?;
    let open_mine = |from: Option<i64>, to: i64| TaskFilter {
        responsible: vec![me.0],
        is_completed: Some(false),
        complete_till_from: from,
        complete_till_to: Some(to),
        order_by: TaskOrder::CompleteTill,
        limit: TASKS_SHOWN,
        ..Default::default()
    };
    let overdue = tasks::list(&mut c, account, &open_mine(None, now - 1), task_vis).await?;
    let today = tasks::list(&mut c, account, &open_mine(Some(now), day_end), task_vis).await?;
    let recent_calls = calls::list(
        &mut c,
        account,
        &CallFilter {
            user_ids: vec![me.0],
            limit: CALLS_SHOWN,
            ..Default::default()
        },
    )
    .await?;
    let missed_calls = calls::list(
        &mut c,
        account,
        &CallFilter {
            user_ids: vec![me.0],
            missed: true,
            limit: CALLS_SHOWN,
            ..Default::default()
        },
    )
    .await?;
    let counts = sb_store::leads::count_by_status(
        &mut c,
        account,
        Some(pipeline.id),
        actor.visibility(EntityKind::Leads, Action::View),
    )
    .await?;
    let stages = pipeline
        .statuses
        .iter()
        .map(|s| {
            let n = counts.iter().find(|c| c.status_id == s.id);
            StageFigures {
                status: s.clone(),
                leads: n.map_or(0, |n| n.leads),
                price: n.map_or(0, |n| n.price),
            }
        })
        .collect();
    Ok(Dashboard {
        overdue,
        today,
        recent_calls,
        missed_calls,
        pipeline,
        stages,
    })
}
