-- Reminders and follow-up sequences (SQLite). PostgreSQL twin: db/postgresql/V6__reminders_follow_ups.sql. Instants are ISO-8601 UTC text.

-- One row per appointment, kind and start: the reminder exists at most once whatever runs twice
-- (a moved appointment has a new start, so it gets its own reminders).
create table reminders (
    appointment_id  integer      not null references appointments (id),
    kind            text        not null,              -- reminder_24h, reminder_1h
    start_at        text        not null,
    status          text        not null,              -- queued, skipped
    reason          text,
    created_at      text        not null,
    primary key (appointment_id, kind, start_at)
);

-- JSON: the client's follow-up sequences by call outcome (absent = the defaults)
alter table clients add column follow_up_sequences text;

-- Follow-up steps due after a call: one row per (lead, sequence step), so each step runs once.
create table retry_queue (
    id             integer     primary key autoincrement,
    client_id      integer      not null references clients (id),
    lead_id        integer      not null references leads (id),
    vapi_call_id   text,                               -- the call whose outcome started the sequence
    outcome        text        not null,               -- no_answer, voicemail, not_interested, callback_requested
    step_no        integer     not null,
    action         text        not null,               -- sms, email, call
    due_at         text        not null,
    status         text        not null,               -- pending, done, cancelled, skipped
    reason         text,
    step_key       text        not null unique,        -- sequence step + lead (+ the call): each step once
    claimed_at     text       ,
    created_at     text        not null,
    updated_at     text        not null
);
create index retry_queue_due_idx on retry_queue (due_at, id) where status = 'pending';
create index retry_queue_lead_idx on retry_queue (lead_id);
