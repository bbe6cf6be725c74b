-- Foundation schema (SQLite). Instants are ISO-8601 UTC text ('2026-01-02T03:04:05.678Z'),
-- which sorts correctly; booleans are 0/1. The PostgreSQL twin is db/postgresql/V1__foundation.sql.

create table clients (
    id                   integer primary key autoincrement,
    client_key           text    not null unique,
    business_name        text    not null,
    contact_email        text,
    contact_phone        text,
    industry             text,
    services             text    not null default '[]',
    timezone             text    not null default 'Europe/London',
    vapi_assistant_id    text,
    vapi_phone_number_id text,
    active               boolean not null default 1,
    created_at           text    not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
create index clients_vapi_assistant_idx on clients (vapi_assistant_id);
create index clients_vapi_phone_number_idx on clients (vapi_phone_number_id);

create table api_keys (
    id          integer primary key autoincrement,
    client_id   integer not null references clients (id),
    key_prefix  text    not null,
    key_hash    text    not null unique,
    created_at  text    not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    revoked_at  text
);
create index api_keys_client_idx on api_keys (client_id);

create table calls (
    id                 integer primary key autoincrement,
    vapi_call_id       text    not null unique,
    client_id          integer references clients (id),
    tenant_rule        text    not null,
    lead_id            text,
    customer_number    text,
    status             text,
    status_rank        integer not null default 0,
    ended_reason       text,
    outcome            text,
    success_evaluation text,
    started_at         text,
    ended_at           text,
    duration_seconds   numeric,
    cost               numeric,
    summary            text,
    transcript         text,
    recording_url      text,
    structured_data    text,
    report_count       integer not null default 0,
    created_at         text    not null,
    updated_at         text    not null
);
create index calls_client_created_idx on calls (client_id, created_at);
create index calls_unmatched_idx on calls (tenant_rule) where client_id is null;

create table analytics_events (
    id            integer primary key autoincrement,
    event_key     text    not null unique,
    event_type    text    not null,
    client_id     integer,
    client_key    text,
    vapi_call_id  text,
    outcome       text,
    props         text    not null default '{}',
    occurred_at   text    not null,
    created_at    text    not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
create index analytics_events_client_type_idx on analytics_events (client_id, event_type, occurred_at);

create table error_log (
    id          integer primary key autoincrement,
    severity    text    not null check (severity in ('warning', 'error', 'critical')),
    service     text    not null,
    message     text    not null,
    context     text,
    route_id    text,
    created_at  text    not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
create index error_log_created_idx on error_log (created_at);

create table dead_letters (
    id            integer primary key autoincrement,
    route_id      text,
    endpoint_uri  text,
    body          text,
    headers       text,
    exception     text,
    status        text    not null default 'new',
    created_at    text    not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    replayed_at   text
);
create index dead_letters_status_idx on dead_letters (status, created_at);
