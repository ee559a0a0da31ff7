-- CRM core: pipelines and stages, leads and their contacts, the typed index of custom
-- field values, tags, lists (catalogs) and their links.
-- Times are Unix milliseconds UTC; booleans are 0/1; JSON is TEXT and never queried.

create table pipelines (
    id integer primary key,
    account_id integer not null references accounts (id),
    name text not null,
    sort integer not null,
    is_main integer not null,
    is_unsorted_on integer not null,
    is_archive integer not null,
    created_at integer not null,
    updated_at integer not null
);
create index pipelines_account on pipelines (account_id, sort);

-- Closed-won (142) and Closed-lost (143) have the same ids in every pipeline, as in
-- Kommo, so a stage is keyed by its pipeline too.
create table statuses (
    id integer not null,
    account_id integer not null references accounts (id),
    pipeline_id integer not null references pipelines (id),
    name text not null,
    sort integer not null,
    color text not null,
    type integer not null,
    is_editable integer not null,
    created_at integer not null,
    updated_at integer not null,
    primary key (account_id, pipeline_id, id)
);

-- price is in minor units of the account currency.
create table leads (
    id integer primary key,
    account_id integer not null references accounts (id),
    name text not null,
    price integer not null,
    pipeline_id integer not null,
    status_id integer not null,
    responsible_user_id integer,
    company_id integer,
    loss_reason_id integer,
    created_by integer not null,
    updated_by integer not null,
    created_at integer not null,
    updated_at integer not null,
    closed_at integer,
    closest_task_at integer,
    is_deleted integer not null,
    custom_fields text not null
);
create index leads_account on leads (account_id, id);
create index leads_status on leads (account_id, pipeline_id, status_id);
create index leads_responsible on leads (account_id, responsible_user_id);
create index leads_created on leads (account_id, created_at);
create index leads_updated on leads (account_id, updated_at);
create index leads_price on leads (account_id, price);
create index leads_company on leads (account_id, company_id);

create table lead_contacts (
    account_id integer not null,
    lead_id integer not null,
    contact_id integer not null,
    is_main integer not null,
    primary key (account_id, lead_id, contact_id)
);
create index lead_contacts_contact on lead_contacts (account_id, contact_id);

-- The filterable form of custom-field values (the entity's JSON column stays the
-- source of truth), rewritten in the same transaction as the entity. One row per value:
-- value_text is the case-folded text (truncated to fit an index), value_num the number
-- (also dates and checkboxes), enum_id the chosen enum. field_id implies the entity type.
create table field_values (
    account_id integer not null,
    entity_type text not null,
    entity_id integer not null,
    field_id integer not null,
    value_text text,
    value_num real,
    enum_id integer
);
create index field_values_text on field_values (account_id, field_id, value_text);
create index field_values_num on field_values (account_id, field_id, value_num);
create index field_values_enum on field_values (account_id, field_id, enum_id);
create index field_values_entity on field_values (account_id, entity_type, entity_id);

-- name_key is the name case-folded by the application (SQLite's lower() folds ASCII
-- only), so uniqueness is the same on both backends.
create table tags (
    id integer primary key,
    account_id integer not null references accounts (id),
    entity_type text not null,
    name text not null,
    name_key text not null,
    color text
);
create unique index tags_name on tags (account_id, entity_type, name_key);

create table entity_tags (
    account_id integer not null,
    entity_type text not null,
    entity_id integer not null,
    tag_id integer not null,
    primary key (account_id, entity_type, entity_id, tag_id)
);
create index entity_tags_tag on entity_tags (account_id, tag_id);

create table catalogs (
    id integer primary key,
    account_id integer not null references accounts (id),
    name text not null,
    type text not null,
    sort integer not null,
    can_add_elements integer not null,
    can_link_multiple integer not null,
    created_by integer not null,
    updated_by integer not null,
    created_at integer not null,
    updated_at integer not null
);
create index catalogs_account on catalogs (account_id, sort);

create table catalog_elements (
    id integer primary key,
    account_id integer not null references accounts (id),
    catalog_id integer not null references catalogs (id),
    name text not null,
    custom_fields text not null,
    created_by integer not null,
    updated_by integer not null,
    created_at integer not null,
    updated_at integer not null,
    is_deleted integer not null
);
create index catalog_elements_catalog on catalog_elements (account_id, catalog_id, id);

-- Links from a lead/contact/company to a catalog element, with a quantity.
create table entity_links (
    account_id integer not null,
    entity_type text not null,
    entity_id integer not null,
    to_entity_type text not null,
    to_entity_id integer not null,
    catalog_id integer not null,
    quantity real not null,
    primary key (account_id, entity_type, entity_id, to_entity_type, to_entity_id)
);
create index entity_links_to on entity_links (account_id, to_entity_type, to_entity_id);
