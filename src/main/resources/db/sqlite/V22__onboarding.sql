-- Onboarding wizard (issue 17, SQLite). PostgreSQL twin: db/postgresql/V22__onboarding.sql. Instants are ISO-8601 UTC text.
-- What GET /api/onboarding/status cannot read from the settings themselves: the last check of a
-- client's calendar and numbers against the providers, and its test calls with each step they took.

-- The last check of each kind per client (calendar, numbers): what was checked (the calendar id, the
-- numbers), whether the provider said yes, and what it said (busy blocks, reasons) as JSON.
create table onboarding_checks (
    client_id   integer     not null references clients (id),
    kind        text        not null check (kind in ('calendar', 'numbers')),
    subject     text        not null,
    ok          integer     not null,
    detail      text        not null,
    checked_at  text        not null,
    primary key (client_id, kind)
);

-- A test call to the owner's own phone (POST /api/onboarding/test-call): placed -> ended (the
-- end-of-call report came) -> finished (the test booking cancelled, result known), or failed.
create table onboarding_test_calls (
    id              integer     primary key autoincrement,
    client_id       integer     not null references clients (id),
    vapi_call_id    text        unique,
    status          text        not null check (status in ('placed', 'ended', 'finished', 'failed')),
    ok              integer     not null default 0,
    result          text,                                -- JSON: what the call did and what was missing
    placed_at       text        not null,
    ended_at        text,
    finished_at     text
);
create index onboarding_test_calls_client_idx on onboarding_test_calls (client_id, id);
create index onboarding_test_calls_open_idx on onboarding_test_calls (status) where status in ('placed', 'ended');

-- Each step of a test call as it happens (placed, tool_call, finished, failed); each row is one
-- 'onboarding_test' event of the client's stream (the trigger below), with the call id and the step.
create table onboarding_test_steps (
    id            integer     primary key autoincrement,
    test_call_id  integer     not null references onboarding_test_calls (id),
    client_id     integer     not null,
    step          text        not null,
    data          text        not null,                  -- JSON object: no phone numbers or emails
    created_at    text        not null
);
create index onboarding_test_steps_call_idx on onboarding_test_steps (test_call_id, id);

create trigger onboarding_test_steps_events after insert on onboarding_test_steps for each row
begin
    insert into events (client_id, type, dedupe_key, data, created_at)
        values (new.client_id, 'onboarding_test', 'onboarding_test:' || new.id, new.data, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
end;
