-- Rate limits (issue 15, PostgreSQL). SQLite twin: db/sqlite/V15__rate_limits.sql: keep the clients column in step.
-- A client's tier sets its request budget (hub.rate-limits.per-minute.<tier>) and its daily import budget
-- (hub.rate-limits.imports-per-day.<tier>); set at onboarding or by PUT /api/admin/clients/{clientKey}.
alter table clients add column tier text not null default 'free' check (tier in ('free', 'pro', 'enterprise'));

-- The token buckets of the rate limiter, shared by every hub instance on this database (bucket4j's
-- PostgreSQL proxy manager, SELECT ... FOR UPDATE on the row of one key), so three instances together allow a
-- tier's number, not three times it. id: what is limited ('client:<id>:<tier>:<limit>', 'anonymous:<ip>:<limit>',
-- 'imports:<id>:<tier>:<limit>:<UTC day>'); state: bucket4j's serialized bucket; expires_at: epoch milliseconds
-- after which the bucket would be full again (a fresh one is the same), so the hub's sweep may delete the row.
-- Limiter state, not business data: nothing else reads it.
create table rate_limit_buckets (
    id         text   primary key,
    state      bytea,
    expires_at bigint
);
create index rate_limit_buckets_expires_idx on rate_limit_buckets (expires_at);
