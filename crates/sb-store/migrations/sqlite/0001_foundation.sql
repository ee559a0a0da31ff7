-- Foundation: accounts, users, rights, tokens, custom fields, contacts, companies, phones.
-- Times are Unix milliseconds UTC; booleans are 0/1; JSON is TEXT and never queried.

-- Instance-wide settings (the token signing key): the one table without account_id.
create table instance_settings (key text primary key, value text not null);

create table accounts (
    id integer primary key,
    name text not null,
    subdomain text not null,
    country text not null,
    currency text not null,
    timezone text not null,
    created_at integer not null,
    updated_at integer not null
);
create unique index accounts_subdomain on accounts (subdomain);

create table user_groups (
    id integer primary key,
    account_id integer not null references accounts (id),
    name text not null,
    created_at integer not null
);
create index user_groups_account on user_groups (account_id);

create table users (
    id integer primary key,
    account_id integer not null references accounts (id),
    name text not null,
    email text not null,
    password_hash text,
    lang text not null,
    role text not null,
    group_id integer,
    rights text not null,
    is_active integer not null,
    created_at integer not null,
    updated_at integer not null
);
create unique index users_email on users (email);
create index users_account on users (account_id);

create table access_tokens (
    jti text primary key,
    account_id integer not null references accounts (id),
    user_id integer not null,
    kind text not null,
    name text,
    client_id text,
    created_at integer not null,
    expires_at integer not null,
    revoked_at integer
);
create index access_tokens_user on access_tokens (account_id, user_id);

create table oauth_clients (
    client_id text primary key,
    account_id integer not null references accounts (id),
    name text not null,
    secret_hash text not null,
    redirect_uri text not null,
    created_by integer not null,
    created_at integer not null
);

create table oauth_codes (
    code_hash text primary key,
    account_id integer not null,
    client_id text not null,
    user_id integer not null,
    redirect_uri text not null,
    expires_at integer not null,
    used_at integer
);

create table oauth_refresh_tokens (
    token_hash text primary key,
    account_id integer not null,
    client_id text not null,
    user_id integer not null,
    created_at integer not null,
    expires_at integer not null,
    revoked_at integer
);

create table custom_fields (
    id integer primary key,
    account_id integer not null references accounts (id),
    entity text not null,
    name text not null,
    code text,
    field_type text not null,
    sort integer not null,
    enums text not null,
    is_predefined integer not null,
    is_deletable integer not null,
    created_at integer not null,
    updated_at integer not null
);
create index custom_fields_account on custom_fields (account_id, entity);

create table contacts (
    id integer primary key,
    account_id integer not null references accounts (id),
    name text not null,
    first_name text not null,
    last_name text not null,
    responsible_user_id integer,
    company_id integer,
    created_by integer not null,
    updated_by integer not null,
    created_at integer not null,
    updated_at integer not null,
    is_deleted integer not null,
    custom_fields text not null
);
create index contacts_account on contacts (account_id, id);
create index contacts_responsible on contacts (account_id, responsible_user_id);
create index contacts_created on contacts (account_id, created_at);
create index contacts_updated on contacts (account_id, updated_at);
create index contacts_company on contacts (account_id, company_id);

create table companies (
    id integer primary key,
    account_id integer not null references accounts (id),
    name text not null,
    first_name text not null,
    last_name text not null,
    responsible_user_id integer,
    company_id integer,
    created_by integer not null,
    updated_by integer not null,
    created_at integer not null,
    updated_at integer not null,
    is_deleted integer not null,
    custom_fields text not null
);
create index companies_account on companies (account_id, id);
create index companies_responsible on companies (account_id, responsible_user_id);
create index companies_created on companies (account_id, created_at);
create index companies_updated on companies (account_id, updated_at);

-- The caller-ID key: E.164 beside the raw value, plus reversed digits so a number given
-- without country code is found by an index range on its last digits.
create table phones (
    account_id integer not null,
    entity_type text not null,
    entity_id integer not null,
    position integer not null,
    raw text not null,
    e164 text,
    rev_digits text not null,
    enum_code text,
    primary key (account_id, entity_type, entity_id, position)
);
create index phones_e164 on phones (account_id, e164);
create index phones_rev on phones (account_id, rev_digits);
