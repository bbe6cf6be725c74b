-- Privacy (issue 15, PostgreSQL). SQLite twin: db/sqlite/V17__privacy.sql: keep both in step.
-- What an erasure must leave behind: a suppression entry per identifier of the erased person (the SHA-256
-- of the E.164 number or of the lower-cased email, never the value), so that no import, web form, dial or
-- send of that client reaches them again. Lead expiry: when a lead was (re-)imported and when it expired.

create table suppressions (
    id          bigserial   primary key,
    client_id   bigint      not null references clients (id),
    kind        text        not null check (kind in ('phone', 'email')),
    value_hash  text        not null,             -- lower-case hex SHA-256 of the E.164 number / the lower-cased email
    created_at  timestamptz not null,
    created_by  text        not null,             -- client:<key> or admin
    unique (client_id, value_hash)
);

-- the last (re-)import of an expired lead: its expiry clock starts again there (null = created_at)
alter table leads add column imported_at timestamptz;
alter table leads add column expired_at timestamptz;
