-- Live dashboard events (issue 16, SQLite). PostgreSQL twin: db/postgresql/V18__events.sql. Instants are ISO-8601 UTC text: keep both in step.
-- Every event a client's dashboard streams (GET /api/events) is a row of `events`, written by the
-- triggers below in the same transaction as the fact it reports, whichever code path commits that
-- fact (webhooks, the dialler, the booking tools and API, imports, the outbox and Twilio's callbacks).
-- The row id is the stream's SSE id; rows are kept 24 h (the hub's events-purge route). SQLite is the
-- one-instance mode: the hub's stream tail is woken in-process after each commit (no NOTIFY here).
-- Data carries ids a page can link to and what the dashboard shows: no phone numbers or emails,
-- a lead's or customer's name at most.

create table events (
    id          integer     primary key autoincrement,   -- never reused: a stream's Last-Event-ID stays meaningful
    client_id   integer     not null,
    type        text        not null,                    -- call_started, call_ended, appointment_booked, ...
    dedupe_key  text        unique,                      -- one event per fact ('call_ended:<vapi id>'); null = each change is one
    data        text        not null,                    -- JSON object
    lead_id     integer,                                 -- the lead / appointment it is about: a change of their name (an erasure)
    appointment_id integer,                              -- is written into the events still kept
    created_at  text        not null
);
create index events_client_idx on events (client_id, id);
create index events_created_idx on events (created_at);
create index events_lead_idx on events (lead_id) where lead_id is not null;
create index events_appointment_idx on events (appointment_id) where appointment_id is not null;

-- Stream tickets (POST /api/events/ticket): short-lived, single-use; only a SHA-256 of the ticket is
-- stored, and it is spent by one conditional update.
create table event_tickets (
    ticket_hash  text        primary key,
    client_id    integer,                                -- null for an admin ticket
    admin        integer     not null default 0,
    created_at   text        not null,
    expires_at   text        not null,
    used_at      text
);
create index event_tickets_expires_idx on event_tickets (expires_at);

-- What an event of a call or an appointment carries (the triggers below read it for the row at hand).
create view calls_event_data as
select vapi_call_id,
       case when lead_id glob '[0-9]*' and lead_id not glob '*[^0-9]*' and length(lead_id) <= 18 then cast(lead_id as integer) end as lead,
       json_object('vapiCallId', vapi_call_id,
           'leadId', case when lead_id glob '[0-9]*' and lead_id not glob '*[^0-9]*' and length(lead_id) <= 18 then cast(lead_id as integer) end,
           'outcome', outcome, 'endedReason', ended_reason, 'durationSeconds', duration_seconds, 'cost', cost,
           'startedAt', started_at, 'endedAt', ended_at) as ended,
       json_object('vapiCallId', vapi_call_id,
           'leadId', case when lead_id glob '[0-9]*' and lead_id not glob '*[^0-9]*' and length(lead_id) <= 18 then cast(lead_id as integer) end,
           'status', status, 'via', case when tenant_rule = 'dialler' then 'dialler' else 'vapi' end) as started
from calls;
create view appointments_event_data as
select id, lead_id, json_object('appointmentId', id, 'leadId', lead_id, 'vapiCallId', vapi_call_id, 'customerName', customer_name,
           'service', service, 'start', start_at, 'end', end_at, 'status', status, 'previousStart', null) as data
from appointments;

-- calls: call_started when the dialler placed the call (its row is inserted with tenant_rule 'dialler')
-- or Vapi's status-update says in-progress; call_ended when the end-of-call report ends it. A retried
-- report or a late status-update changes no status, so reports nothing again.
create trigger calls_events_ended_insert after insert on calls for each row
    when new.client_id is not null and new.status = 'ended'
begin
    insert into events (client_id, type, dedupe_key, data, lead_id, created_at)
        select new.client_id, 'call_ended', 'call_ended:' || new.vapi_call_id, ended, lead, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        from calls_event_data where vapi_call_id = new.vapi_call_id
        on conflict (dedupe_key) do nothing;
end;
create trigger calls_events_ended_update after update of status, client_id on calls for each row
    when new.client_id is not null and new.status = 'ended' and (old.status is not new.status or old.client_id is not new.client_id)
begin
    insert into events (client_id, type, dedupe_key, data, lead_id, created_at)
        select new.client_id, 'call_ended', 'call_ended:' || new.vapi_call_id, ended, lead, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        from calls_event_data where vapi_call_id = new.vapi_call_id
        on conflict (dedupe_key) do nothing;
end;
create trigger calls_events_started_insert after insert on calls for each row
    when new.client_id is not null and (new.status = 'in-progress' or new.tenant_rule = 'dialler') and new.status is not 'ended'
begin
    insert into events (client_id, type, dedupe_key, data, lead_id, created_at)
        select new.client_id, 'call_started', 'call_started:' || new.vapi_call_id, started, lead, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        from calls_event_data where vapi_call_id = new.vapi_call_id
        on conflict (dedupe_key) do nothing;
end;
create trigger calls_events_started_update after update of status, client_id on calls for each row
    when new.client_id is not null and new.status = 'in-progress' and (old.status is not new.status or old.client_id is not new.client_id)
begin
    insert into events (client_id, type, dedupe_key, data, lead_id, created_at)
        select new.client_id, 'call_started', 'call_started:' || new.vapi_call_id, started, lead, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        from calls_event_data where vapi_call_id = new.vapi_call_id
        on conflict (dedupe_key) do nothing;
end;

-- appointments: booked (inserted), cancelled (status), moved (start while booked), whoever did it
create trigger appointments_events_booked after insert on appointments for each row
    when new.status = 'booked'
begin
    insert into events (client_id, type, dedupe_key, data, lead_id, appointment_id, created_at)
        select new.client_id, 'appointment_booked', 'appointment_booked:' || new.id, data, lead_id, id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        from appointments_event_data where id = new.id
        on conflict (dedupe_key) do nothing;
end;
create trigger appointments_events_cancelled after update of status on appointments for each row
    when new.status = 'cancelled' and old.status is not 'cancelled'
begin
    insert into events (client_id, type, dedupe_key, data, lead_id, appointment_id, created_at)
        select new.client_id, 'appointment_cancelled', 'appointment_cancelled:' || new.id, data, lead_id, id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        from appointments_event_data where id = new.id
        on conflict (dedupe_key) do nothing;
end;
create trigger appointments_events_moved after update of start_at on appointments for each row
    when new.status = 'booked' and new.start_at is not old.start_at
begin
    insert into events (client_id, type, dedupe_key, data, lead_id, appointment_id, created_at)
        select new.client_id, 'appointment_moved', null, json_set(data, '$.previousStart', old.start_at), lead_id, id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        from appointments_event_data where id = new.id;
end;

-- leads: every status change but an import's own (an import writes its lead_imported event instead)
create trigger leads_events_update after update of status on leads for each row
    when old.status is not new.status and old.import_id is new.import_id
begin
    insert into events (client_id, type, dedupe_key, data, lead_id, created_at) values (new.client_id, 'lead_status_changed', null,
        json_object('leadId', new.id, 'name', new.name, 'from', old.status, 'to', new.status, 'reason', new.status_reason),
        new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
end;

-- lead_imports: an import finished (completed, partial, failed) with its counts
create trigger lead_imports_events_update after update of status on lead_imports for each row
    when old.status is not new.status and new.status in ('completed', 'partial', 'failed')
begin
    insert into events (client_id, type, dedupe_key, data, created_at) values (new.client_id, 'lead_imported', 'lead_imported:' || new.id,
        json_object('importId', new.id, 'status', new.status, 'rowsTotal', new.rows_total, 'rowsDone', new.rows_done,
            'counts', case when json_valid(new.counts) then json(new.counts) end, 'finishedAt', new.finished_at),
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        on conflict (dedupe_key) do nothing;
end;

-- messages: a confirmation or reminder delivered or failed (an email's 'sent' is its delivery: SMTP says no more)
create trigger messages_events_update after update of status on messages for each row
    when old.status is not new.status and new.kind in ('confirmation', 'reminder_24h', 'reminder_1h')
        and (new.status in ('delivered', 'undelivered', 'failed', 'dead') or (new.status = 'sent' and new.channel = 'email'))
begin
    insert into events (client_id, type, dedupe_key, data, lead_id, appointment_id, created_at) values (new.client_id, 'message_status',
        'message_status:' || new.id || ':' || new.status,
        json_object('messageId', new.id, 'appointmentId', new.appointment_id, 'leadId', new.lead_id, 'kind', new.kind,
            'channel', new.channel, 'status', new.status, 'errorCode', new.error_code),
        new.lead_id, new.appointment_id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        on conflict (dedupe_key) do nothing;
end;

-- A lead's or a customer's name that changes (a correction, or an erasure: PrivacyStore sets it to null /
-- '(erased)') changes in the events still kept, so a stream that replays them shows no more than the row.
create trigger leads_events_rename after update of name on leads for each row
    when old.name is not new.name
begin
    update events set data = json_set(data, '$.name', new.name)
     where lead_id = new.id and client_id = new.client_id and type = 'lead_status_changed';
end;
create trigger appointments_events_rename after update of customer_name on appointments for each row
    when old.customer_name is not new.customer_name
begin
    update events set data = json_set(data, '$.customerName', new.customer_name)
     where appointment_id = new.id and client_id = new.client_id and type like 'appointment%';
end;
