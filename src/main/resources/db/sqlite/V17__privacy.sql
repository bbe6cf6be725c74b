-- Privacy (issue 15, SQLite). PostgreSQL twin: db/postgresql/V17__privacy.sql. Instants are ISO-8601 UTC text.
-- What an erasure must leave behind: a suppression entry per identifier of the erased person (the SHA-256
-- of the E.164 number or of the lower-cased email, never the value), so that no import, web form, dial or
-- send of that client reaches them again. Lead expiry: when a lead was (re-)imported and when it expired.

create table suppressions (
    id          integer     primary key autoincrement,
    client_id   integer     not null references clients (id),
    kind        text        not null check (kind in ('phone', 'email')),
    value_hash  text        not null,             -- lower-case hex SHA-256 of the E.164 number / the lower-cased email
    created_at  text        not null,
    created_by  text        not null,             -- client:<key> or admin
    unique (client_id, value_hash)
);

-- the last (re-)import of an expired lead: its expiry clock starts again there (null = created_at)
alter table leads add column imported_at text;
alter table leads add column expired_at text;
