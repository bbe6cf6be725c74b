-- Alerts (issue 14). Each error_log row gets the fingerprint of its cause (service + route +
-- exception type + the message with numbers, ids and phone numbers stripped: ErrorFingerprint), so
-- that one cause is one group. An alert is one firing episode of a group: (group_key, episode) is
-- unique, so of several hubs on one database only the one whose insert lands announces it; repeats
-- and the resolution are conditional updates of that row, decided the same way.

alter table error_log add column fingerprint text;
create index error_log_fingerprint_idx on error_log (fingerprint, created_at);

create table alerts (
    id                integer     primary key autoincrement,
    group_key         text        not null,            -- e.g. errors:<fingerprint>, database:down, outbox:lag
    episode           integer     not null,            -- 1, 2, ... each time the group starts firing again
    rule              text        not null,            -- critical-error, error-rate, database-down, dead-letters, ...
    severity          text        not null,            -- warning, error, critical
    title             text        not null,
    detail            text,
    service           text,
    route_id          text,
    fingerprint       text,
    client_key        text,
    state             text        not null,            -- firing, resolved
    occurrences       bigint      not null default 0,  -- what the rule counted while it fired
    first_seen_at     text        not null,
    last_seen_at      text        not null,
    fired_at          text        not null,
    last_notified_at  text        not null,
    notifications     integer     not null default 1,  -- firing + repeats (+ resolved)
    resolved_at       text       ,
    unique (group_key, episode)
);
create index alerts_state_idx on alerts (state, last_seen_at);

-- What each channel did with each notification of an alert (firing, repeat n, resolved, test)
create table alert_deliveries (
    id            integer     primary key autoincrement,
    alert_id      bigint,                              -- null for a test alert or one sent while the database was down
    group_key     text        not null,
    kind          text        not null,                -- firing, repeat, resolved, test
    channel       text        not null,                -- slack, email
    status        text        not null,                -- sent, failed, not_configured
    attempts      integer     not null,
    last_error    text,
    queued_at     text        not null,
    finished_at   text        not null
);
create index alert_deliveries_alert_idx on alert_deliveries (alert_id);
