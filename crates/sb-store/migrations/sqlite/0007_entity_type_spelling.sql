-- entity_type spelled one way in every table: Kommo's plural, as the API names the
-- entity (leads, contacts, companies, tasks, catalog_elements). phones, field_values,
-- tags, entity_tags and entity_links stored the singular; their rows are converted, and
-- every entity_type / to_entity_type column gets a CHECK so no other spelling is stored.
--
-- SQLite cannot add a constraint to a table: each table is rebuilt (created anew with
-- the CHECK, rows copied with the spelling converted, the old one dropped, the new one
-- renamed, its indexes created again as migrations 1-5 left them). No foreign key
-- refers to these tables; the copies' own keys (to accounts) are checked at commit.
pragma defer_foreign_keys = on;

create table phones_new (
    account_id integer not null,
    entity_type text not null,
    entity_id integer not null,
    position integer not null,
    raw text not null,
    e164 text,
    rev_digits text not null,
    enum_code text,
    primary key (account_id, entity_type, entity_id, position),
    constraint phones_entity_type check (entity_type in ('contacts', 'companies'))
);
insert into phones_new (account_id, entity_type, entity_id, position, raw, e164, rev_digits, enum_code)
    select account_id, (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end), entity_id, position, raw, e164, rev_digits, enum_code
    from phones;
drop table phones;
alter table phones_new rename to phones;
create index phones_e164 on phones (account_id, e164);
create index phones_rev on phones (account_id, rev_digits);

create table notes_new (
    id integer primary key,
    account_id integer not null references accounts (id),
    entity_type text not null,
    entity_id integer not null,
    note_type text not null,
    params text not null,
    created_by integer not null,
    updated_by integer not null,
    responsible_user_id integer,
    created_at integer not null,
    updated_at integer not null,
    is_pinned integer not null,
    constraint notes_entity_type check (entity_type in ('leads', 'contacts', 'companies'))
);
insert into notes_new (id, account_id, entity_type, entity_id, note_type, params, created_by, updated_by, responsible_user_id, created_at, updated_at, is_pinned)
    select id, account_id, (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end), entity_id, note_type, params, created_by, updated_by, responsible_user_id, created_at, updated_at, is_pinned
    from notes;
drop table notes;
alter table notes_new rename to notes;
create index notes_entity on notes (account_id, entity_type, entity_id, created_at);
create index notes_type on notes (account_id, entity_type, note_type, created_at);
create index notes_updated on notes (account_id, updated_at);

create table tasks_new (
    id integer primary key,
    account_id integer not null references accounts (id),
    responsible_user_id integer not null,
    entity_type text,
    entity_id integer,
    task_type_id integer not null,
    text text not null,
    complete_till integer not null,
    is_completed integer not null,
    result_text text,
    duration integer not null,
    phone_e164 text,
    created_by integer not null,
    updated_by integer not null,
    created_at integer not null,
    updated_at integer not null,
    constraint tasks_entity_type check (entity_type is null or entity_type in ('leads', 'contacts', 'companies'))
);
insert into tasks_new (id, account_id, responsible_user_id, entity_type, entity_id, task_type_id, text, complete_till, is_completed, result_text, duration, phone_e164, created_by, updated_by, created_at, updated_at)
    select id, account_id, responsible_user_id, (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end), entity_id, task_type_id, text, complete_till, is_completed, result_text, duration, phone_e164, created_by, updated_by, created_at, updated_at
    from tasks;
drop table tasks;
alter table tasks_new rename to tasks;
create index tasks_responsible on tasks (account_id, responsible_user_id, is_completed, complete_till);
create index tasks_entity on tasks (account_id, entity_type, entity_id);
create index tasks_complete_till on tasks (account_id, complete_till);
create index tasks_phone on tasks (account_id, phone_e164, created_at);
create index tasks_updated on tasks (account_id, updated_at);
create index tasks_open on tasks (account_id, entity_type, entity_id, is_completed, complete_till);

create table events_new (
    id integer primary key,
    account_id integer not null references accounts (id),
    type text not null,
    entity_type text not null,
    entity_id integer not null,
    created_by integer not null,
    created_at integer not null,
    value_before text not null,
    value_after text not null,
    constraint events_entity_type check (entity_type in ('leads', 'contacts', 'companies', 'tasks'))
);
insert into events_new (id, account_id, type, entity_type, entity_id, created_by, created_at, value_before, value_after)
    select id, account_id, type, (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end), entity_id, created_by, created_at, value_before, value_after
    from events;
drop table events;
alter table events_new rename to events;
create index events_account on events (account_id, id);
create index events_entity on events (account_id, entity_type, entity_id, id);
create index events_type on events (account_id, type, id);
create index events_created on events (account_id, created_at);

create table field_values_new (
    account_id integer not null,
    entity_type text not null,
    entity_id integer not null,
    field_id integer not null,
    value_text text,
    value_num real,
    enum_id integer,
    constraint field_values_entity_type check (entity_type in ('leads', 'contacts', 'companies', 'catalog_elements'))
);
insert into field_values_new (account_id, entity_type, entity_id, field_id, value_text, value_num, enum_id)
    select account_id, (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end), entity_id, field_id, value_text, value_num, enum_id
    from field_values;
drop table field_values;
alter table field_values_new rename to field_values;
create index field_values_text on field_values (account_id, field_id, value_text, entity_id);
create index field_values_num on field_values (account_id, field_id, value_num, entity_id);
create index field_values_enum on field_values (account_id, field_id, enum_id, entity_id);
create index field_values_entity on field_values (account_id, entity_type, entity_id);

create table tags_new (
    id integer primary key,
    account_id integer not null references accounts (id),
    entity_type text not null,
    name text not null,
    name_key text not null,
    color text,
    constraint tags_entity_type check (entity_type in ('leads', 'contacts', 'companies'))
);
insert into tags_new (id, account_id, entity_type, name, name_key, color)
    select id, account_id, (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end), name, name_key, color
    from tags;
drop table tags;
alter table tags_new rename to tags;
create unique index tags_name on tags (account_id, entity_type, name_key);

create table entity_tags_new (
    account_id integer not null,
    entity_type text not null,
    entity_id integer not null,
    tag_id integer not null,
    primary key (account_id, entity_type, entity_id, tag_id),
    constraint entity_tags_entity_type check (entity_type in ('leads', 'contacts', 'companies'))
);
insert into entity_tags_new (account_id, entity_type, entity_id, tag_id)
    select account_id, (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end), entity_id, tag_id
    from entity_tags;
drop table entity_tags;
alter table entity_tags_new rename to entity_tags;
create index entity_tags_tag on entity_tags (account_id, tag_id);

create table entity_links_new (
    account_id integer not null,
    entity_type text not null,
    entity_id integer not null,
    to_entity_type text not null,
    to_entity_id integer not null,
    catalog_id integer not null,
    quantity real not null,
    primary key (account_id, entity_type, entity_id, to_entity_type, to_entity_id),
    constraint entity_links_entity_type check (entity_type in ('leads', 'contacts', 'companies')),
    constraint entity_links_to_entity_type check (to_entity_type in ('leads', 'contacts', 'companies', 'catalog_elements'))
);
insert into entity_links_new (account_id, entity_type, entity_id, to_entity_type, to_entity_id, catalog_id, quantity)
    select account_id, (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end), entity_id, (case to_entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else to_entity_type end), to_entity_id, catalog_id, quantity
    from entity_links;
drop table entity_links;
alter table entity_links_new rename to entity_links;
create index entity_links_to on entity_links (account_id, to_entity_type, to_entity_id);
