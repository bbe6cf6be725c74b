-- Signup and the client's life cycle (issue 17, SQLite). PostgreSQL twin: db/postgresql/V20__client_states.sql,
-- which explains the states; keep both in step.
-- clients.active is no longer read by the hub; it is kept written in step with the state (1 for trial and
-- active, 0 otherwise). Existing rows: active -> 'active', an inactive one -> 'suspended'.
alter table clients add column state text not null default 'active'
    check (state in ('pending_verification', 'trial', 'active', 'suspended'));
update clients set state = 'suspended' where active = 0;
alter table clients add column state_changed_at text;
alter table clients add column state_reason text;
-- the email a self-service signup registered with (lowercased), null for admin-onboarded clients;
-- SQLite cannot add a UNIQUE column, so the unique index says it
alter table clients add column signup_email text;
create unique index clients_signup_email_idx on clients (signup_email);

create table signup_tokens (
    id          integer primary key,
    client_id   bigint  not null references clients (id),
    token_hash  text    not null unique,
    created_at  text    not null,
    expires_at  text    not null,
    used_at     text
);
create index signup_tokens_client_idx on signup_tokens (client_id);
