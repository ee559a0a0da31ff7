-- CRM core: pipelines and stages, leads and their contacts, the typed index of custom
-- field values, tags, lists (catalogs) and their links.
-- Times are Unix milliseconds UTC; booleans are 0/1; JSON is TEXT and never queried.

create table pipelines (
    id bigint primary key,
    account_id bigint not null references accounts (id),
    name text not null,
    sort bigint not null,
    is_main bigint not null,
    is_unsorted_on bigint not null,
    is_archive bigint not null,
    created_at bigint not null,
    updated_at bigint not null
);
create index pipelines_account on pipelines (account_id, sort);

-- Closed-won (142) and Closed-lost (143) have the same ids in every pipeline, as in
-- Kommo, so a stage is keyed by its pipeline too.
create table statuses (
    id bigint not null,
    account_id bigint not null references accounts (id),
    pipeline_id bigint not null references pipelines (id),
    name text not null,
    sort bigint not null,
    color text not null,
    type bigint not null,
    is_editable bigint not null,
    created_at bigint not null,
    updated_at bigint not null,
    primary key (account_id, pipeline_id, id)
);

-- price is in minor units of the account currency.
create table leads (
    id bigint primary key,
    account_id bigint not null references accounts (id),
    name text not null,
    price bigint not null,
    pipeline_id bigint not null,
    status_id bigint not null,
    responsible_user_id bigint,
    company_id bigint,
    loss_reason_id bigint,
    created_by bigint not null,
    updated_by bigint not null,
    created_at bigint not null,
    updated_at bigint not null,
    closed_at bigint,
    closest_task_at bigint,
    is_deleted bigint not null,
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
    account_id bigint not null,
    lead_id bigint not null,
    contact_id bigint not null,
    is_main bigint not null,
    primary key (account_id, lead_id, contact_id)
);
create index lead_contacts_contact on lead_contacts (account_id, contact_id);

-- The filterable form of custom-field values (the entity's JSON column stays the
-- source of truth), rewritten in the same transaction as the entity. One row per value:
-- value_text is the case-folded text (truncated to fit an index), value_num the number
-- (also dates and checkboxes), enum_id the chosen enum. field_id implies the entity type.
create table field_values (
    account_id bigint not null,
    entity_type text not null,
    entity_id bigint not null,
    field_id bigint not null,
    value_text text,
    value_num double precision,
    enum_id bigint
);
create index field_values_text on field_values (account_id, field_id, value_text);
create index field_values_num on field_values (account_id, field_id, value_num);
create index field_values_enum on field_values (account_id, field_id, enum_id);
create index field_values_entity on field_values (account_id, entity_type, entity_id);

-- name_key is the name case-folded by the application (SQLite's lower() folds ASCII
-- only), so uniqueness is the same on both backends.
create table tags (
    id bigint primary key,
    account_id bigint not null references accounts (id),
    entity_type text not null,
    name text not null,
    name_key text not null,
    color text
);
create unique index tags_name on tags (account_id, entity_type, name_key);

create table entity_tags (
    account_id bigint not null,
    entity_type text not null,
    entity_id bigint not null,
    tag_id bigint not null,
    primary key (account_id, entity_type, entity_id, tag_id)
);
create index entity_tags_tag on entity_tags (account_id, tag_id);

create table catalogs (
    id bigint primary key,
    account_id bigint not null references accounts (id),
    name text not null,
    type text not null,
    sort bigint not null,
    can_add_elements bigint not null,
    can_link_multiple bigint not null,
    created_by bigint not null,
    updated_by bigint not null,
    created_at bigint not null,
    updated_at bigint not null
);
create index catalogs_account on catalogs (account_id, sort);

create table catalog_elements (
    id bigint primary key,
    account_id bigint not null references accounts (id),
    catalog_id bigint not null references catalogs (id),
    name text not null,
    custom_fields text not null,
    created_by bigint not null,
    updated_by bigint not null,
    created_at bigint not null,
    updated_at bigint not null,
    is_deleted bigint not null
);
create index catalog_elements_catalog on catalog_elements (account_id, catalog_id, id);

-- Links from a lead/contact/company to a catalog element, with a quantity.
create table entity_links (
    account_id bigint not null,
    entity_type text not null,
    entity_id bigint not null,
    to_entity_type text not null,
    to_entity_id bigint not null,
    catalog_id bigint not null,
    quantity double precision not null,
    primary key (account_id, entity_type, entity_id, to_entity_type, to_entity_id)
);
create index entity_links_to on entity_links (account_id, to_entity_type, to_entity_id);
