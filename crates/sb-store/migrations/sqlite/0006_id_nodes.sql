-- Node numbers for ids (see sb_domain::ids and sb_store::nodes): each process that
-- writes to this database leases one, so ids made by several processes never collide.
-- `mark` is the high-water mark of the ids the last holder handed out.
create table id_nodes (
    node integer primary key,
    holder text not null,
    expires_at integer not null,
    mark integer not null
);
