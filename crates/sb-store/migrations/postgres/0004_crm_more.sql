-- CRM core, more: open tasks by entity (closest_task_at is computed from them on read).
create index tasks_open on tasks (account_id, entity_type, entity_id, is_completed, complete_till);
