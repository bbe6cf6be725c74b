-- Lead intake (PostgreSQL). SQLite twin: db/sqlite/V2__leads_opt_outs.sql.

alter table clients add column country text not null default 'GB';          -- region for numbers without a country code
alter table clients add column recent_contact_skip_days integer not null default 7;   -- contacted within: skipped
alter table clients add column recent_contact_warn_days integer not null default 30;  -- contacted within: imported with a warning

create table lead_imports (
    id            text        primary key,          -- imp_...
    client_id     bigint      not null references clients (id),
    status        text        not null,             -- queued, running, completed, failed
    content_type  text        not null,
    file_fingerprint text     not null,      -- fingerprint of the upload (crc32c:<hex>:<length>), to name a re-upload
    rows_total    integer     not null default 0,
    rows_done     integer     not null default 0,
    counts        text        not null default '{}',   -- JSON: the report counters so far
    summary       text,                                  -- JSON: the final report
    error         text,
    created_at    timestamptz not null,
    started_at    timestamptz,
    finished_at   timestamptz,
    heartbeat_at  timestamptz                     -- last sign of life of the instance running it (a stale one was cut short)
);
create index lead_imports_client_idx on lead_imports (client_id, created_at);
create index lead_imports_file_idx on lead_imports (client_id, file_fingerprint);

create table leads (
    id                bigserial   primary key,
    client_id         bigint      not null references clients (id),
    dedupe_key        text collate "C" not null,   -- E.164, or 'invalid:' + the raw row; byte order: equality only, and cheaper unique-index inserts
    name              text,
    phone_raw         text,
    phone_e164        text,
    phone_type        text,                          -- mobile, fixed_line, freephone, premium_rate, personal, shared_cost, voip, uan, ... or invalid
    phone_region      text,
    sms_capable       boolean     not null default false,
    dialable          boolean     not null default false,
    email             text,
    source            text,
    consent           text,
    consent_at        text,
    consent_source    text,
    attributes        text        not null default '{}',   -- JSON: columns we do not model
    status            text        not null,                -- new, queued, skipped, invalid
    status_reason     text,
    warning           text,
    import_id         text,
    import_line       integer,
    instant           boolean     not null default false,
    tps               boolean     not null default false,
    last_contacted_at timestamptz,
    created_at        timestamptz not null default now(),   -- the bulk path (COPY) leaves both to the default: the chunk's transaction time
    updated_at        timestamptz not null default now()
);
create unique index leads_client_dedupe_idx on leads (client_id, dedupe_key);
-- leads waiting for the dialler; imports write mostly 'new' rows, so this partial index stays small and cheap
create index leads_queued_idx on leads (client_id, id) where status = 'queued';

create index calls_client_customer_idx on calls (client_id, customer_number);

create table opt_outs (
    id           bigserial   primary key,
    scope_key    text        not null,     -- 'global' or 'client:<id>'
    client_id    bigint      references clients (id),   -- null for a global opt-out
    phone_e164   text        not null,
    reason       text        not null,
    note         text,
    active       boolean     not null default true,
    created_at   timestamptz not null,
    created_by   text        not null,
    removed_at   timestamptz,
    removed_by   text
);
create unique index opt_outs_active_idx on opt_outs (scope_key, phone_e164) where active;
create index opt_outs_phone_idx on opt_outs (phone_e164);
