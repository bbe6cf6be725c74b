-- Booking (SQLite): appointments, the slot claims that make a double booking impossible, and
-- Vapi tool calls answered once. PostgreSQL twin: db/postgresql/V4__booking.sql. Instants are ISO-8601 UTC text: keep both in step.

-- JSON: businessHours per weekday, slotMinutes, services [{name, minutes, bufferMinutes}], minNoticeMinutes, googleCalendarId
alter table clients add column booking_settings text not null default '{}';

create table appointments (
    id                integer     primary key autoincrement,
    client_id         integer      not null references clients (id),
    lead_id           integer,
    vapi_call_id      text,                        -- the call that booked it
    tool_call_id      text,
    customer_name     text        not null,
    phone_e164        text,
    email             text,
    service           text,
    notes             text,
    start_at          text        not null,
    end_at            text        not null,
    scheduled_at      text        not null,        -- when the current start was set (booked or moved): reminders need that much notice
    status            text        not null,        -- booked, cancelled
    calendar_status   text        not null,        -- pending, synced, not_configured, failed
    google_event_id   text,                        -- derived from our id: a retried insert cannot make a second event
    calendar_attempts integer     not null default 0,
    calendar_error    text,
    calendar_next_at  text       ,                       -- a failed sync is tried again from then
    created_at        text        not null,
    updated_at        text        not null,
    cancelled_at      text       
);
create index appointments_client_start_idx on appointments (client_id, start_at);
create index appointments_booked_start_idx on appointments (start_at) where status = 'booked';   -- the reminder batch
create index appointments_calendar_idx on appointments (calendar_status, id);
create index appointments_call_idx on appointments (vapi_call_id);

-- The claim: one row per 5-minute unit an appointment (with its buffer) covers. Two bookings that
-- overlap by one minute collide on the primary key, on SQLite and PostgreSQL alike.
create table appointment_slots (
    client_id       integer      not null,
    unit_start      text        not null,
    appointment_id  integer      not null references appointments (id),
    primary key (client_id, unit_start)
);
create index appointment_slots_appointment_idx on appointment_slots (appointment_id);

-- Each Vapi tool call once: a retried toolCallId gets the stored answer and changes nothing
create table tool_calls (
    id            integer     primary key autoincrement,
    tool_call_id  text        not null unique,
    vapi_call_id  text,
    client_id     integer,
    name          text        not null,
    arguments     text,
    answer        text        not null,            -- JSON: {"result": ...} or {"error": ...}
    created_at    text        not null
);
