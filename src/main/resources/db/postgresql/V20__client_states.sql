-- Signup and the client's life cycle (issue 17, PostgreSQL). SQLite twin: db/sqlite/V20__client_states.sql.
-- clients.state is the one source of truth for what a client may do (uk.bookinghub.clients.ClientState):
--   pending_verification  signed up, email not yet verified: no API key, nothing but the verification link
--   trial                 verified: configures, imports, reads; calls and texts only its own phone / email
--   active                everything (admin onboarding, or an admin's activate)
--   suspended             reads only; nothing sent or dialled, queued work held until it is active again
-- The old boolean clients.active is no longer read by the hub; it is kept written in step with the state
-- (true for trial and active, false otherwise) for reports and ops' SQL. Existing rows: active -> 'active',
-- an inactive one (no hub code ever made one) -> 'suspended'.
alter table clients add column state text not null default 'active'
    check (state in ('pending_verification', 'trial', 'active', 'suspended'));
update clients set state = 'suspended' where not active;
alter table clients add column state_changed_at timestamptz;
alter table clients add column state_reason text;                -- why an admin suspended it (optional)
-- The email a self-service signup registered with (lowercased); null for clients an admin onboarded.
-- Unique: of two concurrent signups with one email, the database lets one in (the other is a 409).
-- (Two signups with one business name collide on clients.client_key, the name's slug.)
alter table clients add column signup_email text unique;

-- One-time email verification links: only the SHA-256 of the token is stored. A link is spent by one
-- conditional update (used_at is null and expires_at > now), so a link used twice, or on two instances at
-- once, verifies once.
create table signup_tokens (
    id          bigserial   primary key,
    client_id   bigint      not null references clients (id),
    token_hash  text        not null unique,
    created_at  timestamptz not null,
    expires_at  timestamptz not null,
    used_at     timestamptz
);
create index signup_tokens_client_idx on signup_tokens (client_id);
