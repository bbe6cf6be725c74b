-- Live dashboard events (issue 16, PostgreSQL). SQLite twin: db/sqlite/V18__events.sql: keep both in step.
-- Every event a client's dashboard streams (GET /api/events) is a row of `events`, written by the
-- triggers below in the same transaction as the fact it reports, whichever code path commits that
-- fact (webhooks, the dialler, the booking tools and API, imports, the outbox and Twilio's callbacks).
-- The row id is the stream's SSE id; rows are kept 24 h (the hub's events-purge route). Each new row
-- is announced with NOTIFY hub_events '<id>' (delivered at commit) so every hub instance's stream
-- tail reads it at once; the tail also polls, so a lost listening connection loses nothing.
-- Data carries ids a page can link to and what the dashboard shows: no phone numbers or emails,
-- a lead's or customer's name at most.

create table events (
    id          bigserial   primary key,
    client_id   bigint      not null,          -- no foreign key: a row lives 24 h and is never joined for writes
    type        text        not null,          -- call_started, call_ended, appointment_booked, ...
    dedupe_key  text        unique,            -- one event per fact ('call_ended:<vapi id>'); null = each change is one
    data        text        not null,          -- JSON object
    lead_id     bigint,                        -- the lead / appointment it is about: a change of their name (an erasure)
    appointment_id bigint,                     -- is written into the events still kept
    created_at  timestamptz not null default clock_timestamp()
);
create index events_client_idx on events (client_id, id);
create index events_created_idx on events (created_at);
create index events_lead_idx on events (lead_id) where lead_id is not null;
create index events_appointment_idx on events (appointment_id) where appointment_id is not null;

-- Stream tickets (POST /api/events/ticket): short-lived, single-use; only a SHA-256 of the ticket is
-- stored, and it is spent by one conditional update, so a ticket opens one stream on any instance.
create table event_tickets (
    ticket_hash  text        primary key,
    client_id    bigint,                        -- null for an admin ticket
    admin        boolean     not null default false,
    created_at   timestamptz not null,
    expires_at   timestamptz not null,
    used_at      timestamptz
);
create index event_tickets_expires_idx on event_tickets (expires_at);

-- An instant as the hub writes them in JSON: ISO-8601 UTC with milliseconds.
create function hub_event_time(t timestamptz) returns text language sql stable as $$
    select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- One event: nothing for a row of no client, nothing again for a fact already reported (dedupe key;
-- looked up first so a repeat does not spend a sequence value), then NOTIFY with the new id.
create function hub_event(p_client bigint, p_type text, p_key text, p_data json, p_lead bigint, p_appointment bigint) returns void language plpgsql as $$
declare
    new_id bigint;
begin
    if p_client is null then
        return;
    end if;
    if p_key is not null and exists (select 1 from events where dedupe_key = p_key) then
        return;
    end if;
    insert into events (client_id, type, dedupe_key, data, lead_id, appointment_id) values (p_client, p_type, p_key, p_data::text, p_lead, p_appointment)
        on conflict (dedupe_key) do nothing
        returning id into new_id;
    if new_id is not null then
        perform pg_notify('hub_events', new_id::text);
    end if;
end
$$;

-- calls: call_started when the dialler placed the call (its row is inserted with tenant_rule 'dialler')
-- or Vapi's status-update says in-progress; call_ended when the end-of-call report ends it. A retried
-- report or a late status-update changes no status, so reports nothing again.
create function hub_events_calls() returns trigger language plpgsql as $$
declare
    lead bigint := case when new.lead_id ~ '^[0-9]{1,18}$' then new.lead_id::bigint end;
begin
    if new.status = 'ended' then
        perform hub_event(new.client_id, 'call_ended', 'call_ended:' || new.vapi_call_id, json_build_object(
            'vapiCallId', new.vapi_call_id, 'leadId', lead, 'outcome', new.outcome, 'endedReason', new.ended_reason,
            'durationSeconds', new.duration_seconds, 'cost', new.cost,
            'startedAt', hub_event_time(new.started_at), 'endedAt', hub_event_time(new.ended_at)), lead, null);
    elsif (tg_op = 'INSERT' and new.tenant_rule = 'dialler') or new.status = 'in-progress' then
        perform hub_event(new.client_id, 'call_started', 'call_started:' || new.vapi_call_id, json_build_object(
            'vapiCallId', new.vapi_call_id, 'leadId', lead, 'status', new.status,
            'via', case when tg_op = 'INSERT' and new.tenant_rule = 'dialler' then 'dialler' else 'vapi' end), lead, null);
    end if;
    return null;
end
$$;
create trigger calls_events_insert after insert on calls for each row
    when (new.client_id is not null and (new.status in ('ended', 'in-progress') or new.tenant_rule = 'dialler'))
    execute function hub_events_calls();
create trigger calls_events_update after update of status, client_id on calls for each row
    when (new.client_id is not null and new.status in ('ended', 'in-progress')
          and (old.status is distinct from new.status or old.client_id is distinct from new.client_id))
    execute function hub_events_calls();

-- appointments: booked (inserted), cancelled (status), moved (start while booked), whoever did it
create function hub_events_appointments() returns trigger language plpgsql as $$
declare
    kind text;
    dkey text;
begin
    if tg_op = 'INSERT' then
        kind := 'appointment_booked';
        dkey := kind || ':' || new.id;
    elsif new.status = 'cancelled' and old.status is distinct from 'cancelled' then
        kind := 'appointment_cancelled';
        dkey := kind || ':' || new.id;
    elsif new.status = 'booked' and new.start_at is distinct from old.start_at then
        kind := 'appointment_moved';
        dkey := null; -- each move is one
    else
        return null;
    end if;
    perform hub_event(new.client_id, kind, dkey, json_build_object(
        'appointmentId', new.id, 'leadId', new.lead_id, 'vapiCallId', new.vapi_call_id, 'customerName', new.customer_name,
        'service', new.service, 'start', hub_event_time(new.start_at), 'end', hub_event_time(new.end_at), 'status', new.status,
        'previousStart', case when tg_op = 'UPDATE' and kind = 'appointment_moved' then hub_event_time(old.start_at) end), new.lead_id, new.id);
    return null;
end
$$;
create trigger appointments_events_insert after insert on appointments for each row
    when (new.status = 'booked')
    execute function hub_events_appointments();
create trigger appointments_events_update after update of status, start_at on appointments for each row
    when ((new.status = 'cancelled' and old.status is distinct from 'cancelled')
          or (new.status = 'booked' and new.start_at is distinct from old.start_at))
    execute function hub_events_appointments();

-- leads: every status change but an import's own (an import writes its lead_imported event instead)
create function hub_events_leads() returns trigger language plpgsql as $$
begin
    perform hub_event(new.client_id, 'lead_status_changed', null, json_build_object(
        'leadId', new.id, 'name', new.name, 'from', old.status, 'to', new.status, 'reason', new.status_reason), new.id, null);
    return null;
end
$$;
create trigger leads_events_update after update of status on leads for each row
    when (old.status is distinct from new.status and old.import_id is not distinct from new.import_id)
    execute function hub_events_leads();

-- lead_imports: an import finished (completed, partial, failed) with its counts
create function hub_events_lead_imports() returns trigger language plpgsql as $$
begin
    perform hub_event(new.client_id, 'lead_imported', 'lead_imported:' || new.id, json_build_object(
        'importId', new.id, 'status', new.status, 'rowsTotal', new.rows_total, 'rowsDone', new.rows_done,
        'counts', case when new.counts like '{%' then new.counts::json end, 'finishedAt', hub_event_time(new.finished_at)), null, null);
    return null;
end
$$;
create trigger lead_imports_events_update after update of status on lead_imports for each row
    when (old.status is distinct from new.status and new.status in ('completed', 'partial', 'failed'))
    execute function hub_events_lead_imports();

-- messages: a confirmation or reminder delivered or failed (an email's 'sent' is its delivery: SMTP says no more)
create function hub_events_messages() returns trigger language plpgsql as $$
begin
    perform hub_event(new.client_id, 'message_status', 'message_status:' || new.id || ':' || new.status, json_build_object(
        'messageId', new.id, 'appointmentId', new.appointment_id, 'leadId', new.lead_id, 'kind', new.kind,
        'channel', new.channel, 'status', new.status, 'errorCode', new.error_code), new.lead_id, new.appointment_id);
    return null;
end
$$;
create trigger messages_events_update after update of status on messages for each row
    when (old.status is distinct from new.status and new.kind in ('confirmation', 'reminder_24h', 'reminder_1h')
          and (new.status in ('delivered', 'undelivered', 'failed', 'dead') or (new.status = 'sent' and new.channel = 'email')))
    execute function hub_events_messages();

-- A lead's or a customer's name that changes (a correction, or an erasure: PrivacyStore sets it to null /
-- '(erased)') changes in the events still kept, so a stream that replays them shows no more than the row.
create function hub_events_rename() returns trigger language plpgsql as $$
begin
    if tg_table_name = 'leads' then
        update events set data = jsonb_set(data::jsonb, '{name}', coalesce(to_jsonb(new.name), 'null'::jsonb))::text
         where lead_id = new.id and client_id = new.client_id and type = 'lead_status_changed';
    else
        update events set data = jsonb_set(data::jsonb, '{customerName}', coalesce(to_jsonb(new.customer_name), 'null'::jsonb))::text
         where appointment_id = new.id and client_id = new.client_id and type like 'appointment%';
    end if;
    return null;
end
$$;
create trigger leads_events_rename after update of name on leads for each row
    when (old.name is distinct from new.name)
    execute function hub_events_rename();
create trigger appointments_events_rename after update of customer_name on appointments for each row
    when (old.customer_name is distinct from new.customer_name)
    execute function hub_events_rename();
