-- Call quality (issue 14, PostgreSQL). SQLite twin: db/sqlite/V13__quality.sql: keep both in step.
-- The hourly quality pass (uk.bookinghub.quality) reads calls, dial attempts, tool calls and the
-- error log of an hour and of the 24 hours to its end, and stores the figures per client and
-- assistant; an abandoned-call rate over the limit pauses the client's dialler until an admin
-- resumes it.

-- the Vapi assistant that handled the call: the one the dialler asked for, then call.assistantId of Vapi's messages
alter table calls add column assistant_id text;

-- milliseconds from receiving the tool-calls request to storing this answer (null for rows written before V13)
alter table tool_calls add column duration_ms integer;
create index tool_calls_created_idx on tool_calls (created_at);

-- the hourly pass reads an hour's dials by when they were made
create index dial_attempts_created_idx on dial_attempts (created_at);

-- the dialler's pause (abandoned-call rate over hub.quality.max-abandoned-percent): set once by the pass,
-- cleared only by an admin (POST /api/admin/clients/{clientKey}/dialler/resume); while set nothing is dialled
alter table clients add column dialler_paused_at timestamptz;
alter table clients add column dialler_paused_reason text;
-- the last resume: abandoned calls before it do not pause the dialler again
alter table clients add column dialler_resumed_at timestamptz;

-- One row per computed hour, client, assistant ('*' = all the client's calls) and period ('1h' = that
-- hour, '24h' = the 24 hours to its end). The key makes a rerun (or a second instance) replace, never add.
create table quality_snapshots (
    id                bigserial   primary key,
    hour_start        timestamptz not null,            -- the computed hour (UTC): [hour_start, hour_start + 1 h)
    client_id         bigint      not null references clients (id),
    assistant_id      text        not null,
    period            text        not null,            -- 1h, 24h
    dials             integer     not null,            -- dial attempts sent to Vapi
    answered          integer     not null,            -- of those, answered by a person (abandoned ones included)
    abandoned         integer     not null,            -- of those, abandoned (Dialler.isAbandoned)
    tool_calls        integer     not null,
    tool_errors       integer     not null,
    tool_p95_ms       integer,                         -- nearest-rank p95 of tool_calls.duration_ms; null without any
    vapi_failures     integer     not null,            -- error_log rows of service vapi (error, critical) naming the client
    computed_at       timestamptz not null,
    unique (hour_start, client_id, assistant_id, period)
);
create index quality_snapshots_client_idx on quality_snapshots (client_id, hour_start);
