-- Audit log (issue 15): every state-changing client or admin request and every authentication
-- failure, append-only and tamper-evident. Row n stores hash = SHA-256 of its canonical form, which
-- includes prev_hash (the hash of row n - 1; 64 zeros for row 1): uk.bookinghub.audit.AuditEntry
-- defines the form, GET /api/admin/audit-log/verify checks the chain. Ids are 1, 2, 3, ... in chain
-- order (a gap is a missing row). No personal data here: this table is never erased.
-- The PostgreSQL twin is db/postgresql/V16__audit_log.sql.

create table audit_log (
    id          integer     primary key,       -- position in the chain, from 1
    at          text        not null,
    client_id   bigint,
    client_key  text,
    actor       text        not null,
    action      text        not null,
    target_ids  text,
    details     text,
    ip          text,
    request_id  text        not null,
    status      integer     not null,
    prev_hash   text        not null,
    hash        text        not null unique
);
create index audit_log_client_idx on audit_log (client_id, id);
create index audit_log_at_idx on audit_log (at);
create index audit_log_request_idx on audit_log (request_id);

-- Append-only: UPDATE and DELETE are refused (SQLite has no TRUNCATE; DELETE without WHERE is refused too)
create trigger audit_log_no_update before update on audit_log
begin
    select raise(abort, 'audit_log is append-only: UPDATE refused');
end;
create trigger audit_log_no_delete before delete on audit_log
begin
    select raise(abort, 'audit_log is append-only: DELETE refused');
end;
