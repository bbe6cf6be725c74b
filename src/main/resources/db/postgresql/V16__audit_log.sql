-- Audit log (issue 15): every state-changing client or admin request and every authentication
-- failure, append-only and tamper-evident. Row n stores hash = SHA-256 of its canonical form, which
-- includes prev_hash (the hash of row n - 1; 64 zeros for row 1): uk.bookinghub.audit.AuditEntry
-- defines the form, GET /api/admin/audit-log/verify checks the chain. Ids are 1, 2, 3, ... in chain
-- order, given by the appender under a transaction-scoped advisory lock (no sequence: a gap is a
-- missing row). No personal data here (ids, counts and reasons only): this table is never erased.
-- The SQLite twin is db/sqlite/V16__audit_log.sql.

create table audit_log (
    id          bigint      primary key,       -- position in the chain, from 1
    at          timestamptz not null,
    client_id   bigint,                        -- the client the action concerns; null for admin-wide rows and auth failures
    client_key  text,
    actor       text        not null,          -- key:<API key prefix>, token:<jti>, admin, anonymous
    action      text        not null,          -- lead_import, settings_update, auth_failure, ...
    target_ids  text,                          -- JSON array of typed ids: ["import:imp_...", "lead:12"]
    details     text,                          -- small JSON object: {"count": 1204}; never a secret or a body
    ip          text,                          -- the caller (X-Forwarded-For only from hub.audit.trusted-proxies)
    request_id  text        not null,          -- also the answer's X-Request-Id
    status      integer     not null,          -- the HTTP status of the answer
    prev_hash   text        not null,
    hash        text        not null unique
);
create index audit_log_client_idx on audit_log (client_id, id);
create index audit_log_at_idx on audit_log (at);
create index audit_log_request_idx on audit_log (request_id);

-- Append-only: UPDATE, DELETE and TRUNCATE are refused for every role, the table owner and superusers
-- included (only ALTER TABLE ... DISABLE TRIGGER gets past, and verify then names the changed row).
create function audit_log_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only: % refused', tg_op using errcode = '42501';
end;
$$;
create trigger audit_log_no_update_delete before update or delete on audit_log
    for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_append_only();
