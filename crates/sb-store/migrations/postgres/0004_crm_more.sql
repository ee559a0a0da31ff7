-- CRM core, more: open tasks by entity (closest_task_at is computed from them on read).
create index tasks_open on tasks (account_id, entity_type, entity_id, is_completed, complete_till);

-- An account's own task types; the built-in ones (1 FOLLOW_UP, 2 MEETING) are not
-- stored. Names are unique per account without regard to case (name_key).
create table task_types (
    id bigint primary key,
    account_id bigint not null references accounts (id),
    name text not null,
    name_key text not null,
    color text,
    icon_id bigint,
    created_by bigint not null,
    created_at bigint not null
);
create unique index task_types_name on task_types (account_id, name_key);
