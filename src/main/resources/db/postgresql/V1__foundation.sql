-- Foundation schema (PostgreSQL). Instants are timestamptz in UTC; JSON documents are text.
-- The SQLite twin is db/sqlite/V1__foundation.sql: keep both in step.

create table clients (
    id                   bigserial primary key,
    client_key           text        not null unique,        -- slug of the business name, used in URLs and Vapi variables
    business_name        text        not null,
    contact_email        text,
    contact_phone        text,                               -- E.164
    industry             text,
    services             text        not null default '[]',  -- JSON array of service names
    timezone             text        not null default 'Europe/London',
    vapi_assistant_id    text,
    vapi_phone_number_id text,
    active               boolean     not null default true,
    created_at           timestamptz not null default now()
);
create index clients_vapi_assistant_idx on clients (vapi_assistant_id);
create index clients_vapi_phone_number_idx on clients (vapi_phone_number_id);

create table api_keys (
    id          bigserial primary key,
    client_id   bigint      not null references clients (id),
    key_prefix  text        not null,          -- first characters, to tell keys apart in listings
    key_hash    text        not null unique,   -- SHA-256 of the whole key; the key itself is never stored
    created_at  timestamptz not null default now(),
    revoked_at  timestamptz
);
create index api_keys_client_idx on api_keys (client_id);

create table calls (
    id                 bigserial primary key,
    vapi_call_id       text          not null unique,   -- idempotency key for Vapi's webhooks
    client_id          bigint        references clients (id),
    tenant_rule        text          not null,          -- rule that matched the client, or 'unmatched'
    lead_id            text,
    customer_number    text,                            -- E.164 when it parses, else as Vapi sent it
    status             text,
    status_rank        integer       not null default 0,
    ended_reason       text,
    outcome            text,
    success_evaluation text,
    started_at         timestamptz,
    ended_at           timestamptz,
    duration_seconds   numeric(12, 2),
    cost               numeric(12, 4),
    summary            text,
    transcript         text,
    recording_url      text,
    structured_data    text,                            -- JSON object from analysis.structuredData
    report_count       integer       not null default 0,  -- end-of-call-report deliveries (>1 = retried)
    created_at         timestamptz   not null,
    updated_at         timestamptz   not null
);
create index calls_client_created_idx on calls (client_id, created_at);
create index calls_unmatched_idx on calls (tenant_rule) where client_id is null;

create table analytics_events (
    id            bigserial primary key,
    event_key     text        not null unique,    -- e.g. call.ended:<vapi call id>; a redelivery inserts nothing
    event_type    text        not null,
    client_id     bigint,
    client_key    text,
    vapi_call_id  text,
    outcome       text,
    props         text        not null default '{}',
    occurred_at   timestamptz not null,
    created_at    timestamptz not null default now()
);
create index analytics_events_client_type_idx on analytics_events (client_id, event_type, occurred_at);

create table error_log (
    id          bigserial primary key,
    severity    text        not null check (severity in ('warning', 'error', 'critical')),
    service     text        not null,
    message     text        not null,
    context     text,                              -- JSON object
    route_id    text,
    created_at  timestamptz not null default now()
);
create index error_log_created_idx on error_log (created_at);

create table dead_letters (
    id            bigserial primary key,
    route_id      text,
    endpoint_uri  text,
    body          text,
    headers       text,                            -- JSON object of the headers worth keeping
    exception     text,
    status        text        not null default 'new',   -- new, replayed, discarded
    created_at    timestamptz not null default now(),
    replayed_at   timestamptz
);
create index dead_letters_status_idx on dead_letters (status, created_at);
