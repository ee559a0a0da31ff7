-- Lists are ordered by a time and then by id (`order by updated_at desc, id desc`), so a
-- page is read straight from an index only when the index holds both. Cards imported
-- or created in one batch share their second: with the time alone in the index,
-- PostgreSQL sorted every card of that second before it could return the first page
-- (100,000 contacts: 50 ms a page). SQLite's indexes end in the rowid anyway; the same
-- indexes are kept on both backends.
drop index contacts_created;
drop index contacts_updated;
create index contacts_created on contacts (account_id, created_at, id);
create index contacts_updated on contacts (account_id, updated_at, id);
drop index companies_created;
drop index companies_updated;
create index companies_created on companies (account_id, created_at, id);
create index companies_updated on companies (account_id, updated_at, id);
drop index leads_created;
drop index leads_updated;
create index leads_created on leads (account_id, created_at, id);
create index leads_updated on leads (account_id, updated_at, id);
