-- API keys (issue 15), SQLite (instants are ISO-8601 UTC text). A client may hold several keys: each
-- row is one key (V1 made the table, and every key onboarding gave out is a row of it already, so
-- existing clients keep working as they are). A key is told apart by its prefix within its client
-- (the tokens issued from it name that prefix), records when it was last used (written at most once
-- a minute per key), and is revoked, never deleted.
-- The PostgreSQL twin is db/postgresql/V14__api_keys.sql: keep both in step.
alter table api_keys add column last_used_at text;
create unique index api_keys_client_prefix_idx on api_keys (client_id, key_prefix);
-- the unique index leads with client_id: the old single-column index is redundant
drop index api_keys_client_idx;
