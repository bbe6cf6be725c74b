-- Dialler (SQLite): leads become Vapi calls inside the calling rules.
-- PostgreSQL twin: db/postgresql/V5__dialler.sql. Instants are ISO-8601 UTC text: keep both in step.

-- JSON: calling window per weekday, bank holidays, consent, max attempts, concurrency, instant calling
alter table clients add column calling_settings text not null default '{}';

alter table leads add column call_attempts integer not null default 0;
alter table leads add column next_call_at text       ;          -- not dialled before (outside the window, redial wait)
alter table leads add column last_abandoned_at text       ;     -- an abandoned call: no automated redial for 72 h
alter table leads add column ctps boolean not null default false;
-- leads waiting to be dialled are found through leads_queued_idx (V2): no new index on leads, imports stay as fast

-- One row per dial decision: placed (with Vapi's call id), blocked (with the rule), failed. A lead's
-- attempt number is unique: the same attempt is never dialled twice.
create table dial_attempts (
    id            integer     primary key autoincrement,
    client_id     integer      not null references clients (id),
    lead_id       integer      not null references leads (id),
    attempt_no    integer,                           -- null for a blocked dial (no attempt was used)
    status        text        not null,              -- dialling, placed, failed, blocked, unknown, ended
    rule          text,                              -- the compliance rule that blocked it
    detail        text,
    vapi_call_id  text,
    created_at    text        not null,
    updated_at    text        not null
);
create unique index dial_attempts_lead_attempt_idx on dial_attempts (lead_id, attempt_no);
create index dial_attempts_client_status_idx on dial_attempts (client_id, status);
create index dial_attempts_call_idx on dial_attempts (vapi_call_id);
