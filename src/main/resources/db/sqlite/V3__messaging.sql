-- Messaging (SQLite): the outbox, Twilio's delivery callbacks, inbound SMS, templates.
-- PostgreSQL twin: db/postgresql/V3__messaging.sql. Instants are ISO-8601 UTC text: keep both in step.

alter table clients add column booking_link text;                -- URL a follow-up invites the customer to book at
alter table clients add column sms_from_number text;             -- E.164 Twilio number this client's SMS come from (and replies reach)
alter table clients add column messaging_service_sid text;       -- MG...: Twilio picks the sender from the service's pool; wins over sms_from_number
create index clients_sms_from_idx on clients (sms_from_number);

-- The outbox: one row per message the hub sends. A row is written in the transaction of the fact
-- that caused it; the sender claims it (status sending + claimed_at), sends, records the result.
create table messages (
    id               integer     primary key autoincrement,
    client_id        integer      not null references clients (id),
    lead_id          integer,
    appointment_id   integer,
    channel          text        not null check (channel in ('sms', 'email')),
    kind             text        not null,                 -- confirmation, reminder_24h, reminder_1h, follow_up, alert, ...
    marketing        boolean     not null default false,   -- follow-ups: carry the opt-out line, cancelled by STOP
    idempotency_key  text        not null unique,          -- a second request for the same message inserts nothing
    to_address       text        not null,                 -- E.164 or email address
    from_address     text,                                 -- the From number / MessagingServiceSid / email sender actually used
    reply_to         text,
    subject          text,
    body             text        not null,                 -- the SMS text, or the plain-text part of an email
    html             text,
    encoding         text,                                 -- GSM-7 or UCS-2 (SMS)
    segments         integer,
    status           text        not null,                 -- queued, sending, sent, delivered, undelivered, failed, dead, skipped, not_configured
    status_rank      integer     not null default 0,       -- callbacks only move a message forward
    status_reason    text,
    provider_id      text,                                 -- Twilio MessageSid or SMTP Message-ID
    provider_status  text,                                 -- Twilio's own word for the state
    error_code       text,
    attempts         integer     not null default 0,
    last_error       text,
    next_attempt_at  text        not null,                 -- not before: replay and scheduling use it
    claimed_at       text       ,                          -- a 'sending' claim older than the lease is taken again
    claimed_by       text,
    created_at       text        not null,
    updated_at       text        not null,
    sent_at          text       ,
    delivered_at     text       
);
create index messages_due_idx on messages (next_attempt_at, id) where status = 'queued';
create index messages_claimed_idx on messages (claimed_at) where status = 'sending';
create unique index messages_provider_idx on messages (provider_id) where provider_id is not null;   -- partial: a new row has none yet
create index messages_client_idx on messages (client_id, id);
create index messages_client_to_idx on messages (client_id, to_address);
create index messages_lead_idx on messages (lead_id) where lead_id is not null;

-- Every status callback Twilio sent, once per (MessageSid, status): the audit trail, and the
-- bridge for a callback that arrives before the send's own result is recorded.
create table message_status_events (
    id           integer     primary key autoincrement,
    message_sid  text        not null,
    status       text        not null,
    error_code   text,
    params       text        not null,                    -- JSON of the form Twilio posted
    received_at  text        not null,
    unique (message_sid, status)
);

-- Inbound SMS (replies, STOP / START / HELP), once per MessageSid
create table inbound_messages (
    id           integer     primary key autoincrement,
    message_sid  text        not null unique,
    client_id    integer      references clients (id),      -- null when no client owns the To number
    from_number  text        not null,
    to_number    text        not null,
    body         text        not null,
    action       text        not null,                     -- opt_out, opt_in, help, message
    params       text        not null,
    received_at  text        not null
);
create index inbound_messages_client_idx on inbound_messages (client_id, id);

-- A client's own wording for a kind of message on a channel; absent = the shipped default
create table message_templates (
    id          integer     primary key autoincrement,
    client_id   integer      not null references clients (id),
    kind        text        not null,
    channel     text        not null,
    subject     text,
    html        text,
    text_part   text,
    body        text,
    updated_at  text        not null,
    unique (client_id, kind, channel)
);

alter table dead_letters add column message_id integer;     -- set when the dead letter is an outbox message
alter table dead_letters add column client_id integer;
alter table dead_letters add column replay_uri text;        -- where a replay sends a non-message dead letter (the route's entry)
alter table dead_letters add column replayed_by text;
