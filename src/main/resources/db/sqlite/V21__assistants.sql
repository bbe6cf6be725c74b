-- The assistant per client (issue 17, SQLite). PostgreSQL twin: db/postgresql/V21__assistants.sql: keep both in step.
-- clients.vapi_assistant_id (since V1) holds the Vapi assistant the hub created from assistants/booking-assistant.json;
-- these columns say what it was rendered from, so drift (a new template version, changed client details) is counted.
alter table clients add column assistant_template_version integer;   -- the template version the assistant was last sent with
alter table clients add column assistant_hash text;                   -- SHA-256 of the rendered assistant JSON last sent to Vapi
alter table clients add column assistant_inputs text;                 -- JSON: the client's details it was rendered from (to name the drift)
alter table clients add column assistant_synced_at text;             -- when Vapi last accepted it (POST or PATCH)
alter table clients add column assistant_last_error text;             -- why the last create / sync failed; null after a success
-- set (and committed) before the first POST /assistant of a client and kept until its id is stored: a later attempt lists
-- Vapi's assistants created since then and adopts the one whose metadata.hubClientKey is this client's (never a second one)
alter table clients add column assistant_create_started_at text;
-- the per-client claim: one request at a time creates or syncs a client's assistant (a crashed holder's claim lapses)
alter table clients add column assistant_claim_until text;
alter table clients add column assistant_claim_token text;
