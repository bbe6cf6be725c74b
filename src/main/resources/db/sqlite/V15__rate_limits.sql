-- Rate limits (issue 15, SQLite). PostgreSQL twin: db/postgresql/V15__rate_limits.sql: keep the clients column in step.
-- A client's tier sets its request budget (hub.rate-limits.per-minute.<tier>) and its daily import budget
-- (hub.rate-limits.imports-per-day.<tier>); set at onboarding or by PUT /api/admin/clients/{clientKey}.
-- SQLite is the single-instance mode: the limiter's buckets live in the hub's memory, so there is no bucket table.
alter table clients add column tier text not null default 'free' check (tier in ('free', 'pro', 'enterprise'));
