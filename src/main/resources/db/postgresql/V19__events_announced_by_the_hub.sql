-- Live dashboard events (issue 16): new event ids are no longer announced by the trigger, row by row.
-- A transaction that has called NOTIFY takes a database-wide lock at commit and holds it through its WAL
-- flush, so every webhook that wrote an event committed one at a time behind every other (and each
-- listening instance was sent one notification per event). Each hub instance now announces instead:
-- after its own commits it sends one NOTIFY hub_events '<highest event id>' at most every few
-- milliseconds from a separate connection (EventAnnouncer), and wakes its own stream tail directly.
-- The tail's gap rule and its poll are unchanged, so an announcement coalesced or lost loses nothing.
create or replace function hub_event(p_client bigint, p_type text, p_key text, p_data json, p_lead bigint, p_appointment bigint) returns void language plpgsql as $$
begin
    if p_client is null then
        return;
    end if;
    if p_key is not null and exists (select 1 from events where dedupe_key = p_key) then
        return;
    end if;
    insert into events (client_id, type, dedupe_key, data, lead_id, appointment_id) values (p_client, p_type, p_key, p_data::text, p_lead, p_appointment)
        on conflict (dedupe_key) do nothing;
end
$$;
