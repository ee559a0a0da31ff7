-- entity_type spelled one way in every table: Kommo's plural, as the API names the
-- entity (leads, contacts, companies, tasks, catalog_elements). phones, field_values,
-- tags, entity_tags and entity_links stored the singular; their rows are converted, and
-- every entity_type / to_entity_type column gets a CHECK so no other spelling is stored.
--
-- Rows with the singular are converted first; each CHECK then reads the whole table once.

update phones set entity_type = (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end)
    where entity_type in ('lead', 'contact', 'company', 'task', 'catalog_element');
alter table phones add constraint phones_entity_type check (entity_type in ('contacts', 'companies'));

update notes set entity_type = (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end)
    where entity_type in ('lead', 'contact', 'company', 'task', 'catalog_element');
alter table notes add constraint notes_entity_type check (entity_type in ('leads', 'contacts', 'companies'));

update tasks set entity_type = (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end)
    where entity_type in ('lead', 'contact', 'company', 'task', 'catalog_element');
alter table tasks add constraint tasks_entity_type check (entity_type is null or entity_type in ('leads', 'contacts', 'companies'));

update events set entity_type = (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end)
    where entity_type in ('lead', 'contact', 'company', 'task', 'catalog_element');
alter table events add constraint events_entity_type check (entity_type in ('leads', 'contacts', 'companies', 'tasks'));

update field_values set entity_type = (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end)
    where entity_type in ('lead', 'contact', 'company', 'task', 'catalog_element');
alter table field_values add constraint field_values_entity_type check (entity_type in ('leads', 'contacts', 'companies', 'catalog_elements'));

update tags set entity_type = (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end)
    where entity_type in ('lead', 'contact', 'company', 'task', 'catalog_element');
alter table tags add constraint tags_entity_type check (entity_type in ('leads', 'contacts', 'companies'));

update entity_tags set entity_type = (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end)
    where entity_type in ('lead', 'contact', 'company', 'task', 'catalog_element');
alter table entity_tags add constraint entity_tags_entity_type check (entity_type in ('leads', 'contacts', 'companies'));

update entity_links set entity_type = (case entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else entity_type end), to_entity_type = (case to_entity_type when 'lead' then 'leads' when 'contact' then 'contacts' when 'company' then 'companies' when 'task' then 'tasks' when 'catalog_element' then 'catalog_elements' else to_entity_type end)
    where entity_type in ('lead', 'contact', 'company', 'task', 'catalog_element') or to_entity_type in ('lead', 'contact', 'company', 'task', 'catalog_element');
alter table entity_links add constraint entity_links_entity_type check (entity_type in ('leads', 'contacts', 'companies'));
alter table entity_links add constraint entity_links_to_entity_type check (to_entity_type in ('leads', 'contacts', 'companies', 'catalog_elements'));
