-- bench/analytics.sh: the analytics data set, inserted set-based into the hub's PostgreSQL database
-- (generate_series; no row goes through Java). The rows are what the live paths write: calls as the
-- end-of-call report stores them (CallStore), their call.ended events with the props
-- VapiWebhook.recordEndOfCall writes (same keys, same order, numbers with their scale: Jackson's
-- BigDecimal text), appointments booked during a call with appointment.booked events, some cancelled
-- (appointment.cancelled), the past ones attended (appointment.completed by the sweep, some
-- appointment.no_show by the client), with the props AnalyticsFacts writes. analytics_daily is NOT
-- written here: the hub builds it (POST /api/admin/analytics/rebuild?clientKey=).
--
-- psql variables (all set by bench/analytics.sh):
--   client_id, client_key     the onboarded client
--   calls, appts, leads       its data: ended calls, appointments (one per booked call, appts <= calls), leads
--   t0, t1                    its local period [t0, t1) (dates), in time zone tz
--   others, other_calls, other_appts, other_leads, w0, w1
--                             the weekly batch's other clients (bench-weekly-0001...): each with calls,
--                             appointments and leads in [w0, w1) (the report week and the one before)
--   cap                       created_at / updated_at are never later than this (2 days before the load):
--                             the hub's 10-minute reconciliation re-reads calls updated in the last 24 h
--   tz                        the clients' time zone
\set ON_ERROR_STOP 1
\timing on
set synchronous_commit = off;
set work_mem = '256MB';
set maintenance_work_mem = '512MB';
set jit = off;   -- compiling these one-off statements costs seconds and saves nothing

-- a deterministic number in [0, 1) per (row, salt): the same data every run
create function pg_temp.h(i bigint, salt int) returns float8 immutable parallel safe language sql as
$$ select ((hashint8(i * 31 + salt) & 2147483647) / 2147483648.0)::float8 $$;
create function pg_temp.iso(t timestamptz) returns text immutable language sql as
$$ select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

\echo STEP clients
-- the other clients of the weekly batch: onboarded by SQL (the hub's columns and defaults), weekly report on
-- (Sunday 23:45, as the measured client: the hub's own 15-minute pass queues nothing during a run, except late on a Sunday)
insert into clients (client_key, business_name, contact_email, contact_phone, industry, services, timezone, analytics_settings, created_at)
select format('bench-weekly-%s', lpad(k::text, 4, '0')), format('Bench Weekly %s', lpad(k::text, 4, '0')),
       format('office-%s@bench-weekly.example', k), '+44113496' || lpad((k % 10000)::text, 4, '0'), 'plumbing',
       '["Boiler service","Boiler repair"]', :'tz',
       format('{"averageJobValue":%s,"services":{"Boiler repair":180.00},"usdToGbp":null,"weeklyReport":{"enabled":true,"to":["owner-%s@bench-weekly.example"],"day":"SUNDAY","time":"23:45"}}',
              (100 + k % 50)::numeric(12, 2), k),
       now() - interval '400 days'
from generate_series(1, :others) k;

create temp table plan as
select :client_id::bigint as client_id, :'client_key'::text as client_key, :calls::bigint as calls, :appts::bigint as appts,
       :leads::bigint as leads, (:'t0'::timestamp at time zone :'tz') as t0, (:'t1'::timestamp at time zone :'tz') as t1
union all
select id, client_key, :other_calls, :other_appts, :other_leads, (:'w0'::timestamp at time zone :'tz'), (:'w1'::timestamp at time zone :'tz')
from clients where client_key like 'bench-weekly-%' and :others > 0;
analyze plan;

\echo STEP leads
-- campaigns (lead sources): the share of leads each has
create temp table lead_map as
with ins as (
    insert into leads (client_id, dedupe_no, name, phone_raw, phone_e164, phone_type, phone_region, sms_capable, dialable,
                       email, source, consent, consent_at, consent_source, status, import_id, import_line, created_at, updated_at)
    select p.client_id, 447700000000 + k,
           case when k % 97 = 0 then format('O''Neill, "Pat" %s', k) when k % 89 = 0 then format('=Boiler %s', k) else format('Customer %s', k) end,
           '07700 ' || lpad(k::text, 6, '0'), '+447700' || lpad(k::text, 6, '0'), 'mobile', 'GB', true, true,
           format('customer%s@example.com', k),
           case when pg_temp.h(k, 1) < 0.35 then 'google-ads-boiler' when pg_temp.h(k, 1) < 0.60 then 'facebook-spring-offer'
                when pg_temp.h(k, 1) < 0.75 then 'website-form' when pg_temp.h(k, 1) < 0.85 then 'referral'
                when pg_temp.h(k, 1) < 0.95 then 'leaflet-leeds-ls6' else 'checkatrade' end,
           'yes', '2025-11-01', 'web form', 'new', 'bench-analytics', k::int, p.t0 - interval '30 days', p.t0 - interval '30 days'
    from plan p cross join lateral generate_series(1, p.leads) k
    order by p.client_id, k
    returning client_id, import_line as k, id, name, phone_e164, source
)
select * from ins;
create index on lead_map (client_id, k);
analyze lead_map;

\echo STEP calls
-- one row per ended call: spread evenly over the client's period (every hour of every local day,
-- so both clock changes and the ambiguous hour of October have calls); every (appts/calls)-th
-- call booked one appointment
create temp table g as
-- materialized: each stage's columns computed once per row (inlined, the CASEs would re-evaluate each other many times)
with base as materialized (
    select p.client_id, p.client_key, p.leads, i,
           date_trunc('second', p.t0 + ((i - 1 + pg_temp.h(i, 2)) * extract(epoch from p.t1 - p.t0) / p.calls) * interval '1 second') as ended_at,
           (i * p.appts) / p.calls > ((i - 1) * p.appts) / p.calls as booked,   -- bigint division: floor
           pg_temp.h(i, 3) as r_out, pg_temp.h(i, 4) as r_dur, pg_temp.h(i, 5) as r_lead
    from plan p cross join lateral generate_series(1, p.calls) i
), o as materialized (
    select b.*,
           case when booked then 'booked'
                when r_out < 0.33 then 'no_answer' when r_out < 0.50 then 'voicemail' when r_out < 0.70 then 'not_interested'
                when r_out < 0.86 then 'completed' when r_out < 0.93 then 'callback_requested' when r_out < 0.97 then 'busy'
                else 'failed' end as outcome,
           case when r_lead < 0.9 then 1 + floor(pg_temp.h(i, 6) * leads)::bigint end as lead_k
    from base b
), d as materialized (
    select o.*,
           case outcome when 'booked' then 'customer-ended-call' when 'no_answer' then 'customer-did-not-answer'
                when 'voicemail' then 'voicemail' when 'busy' then 'customer-busy' when 'not_interested' then 'customer-ended-call'
                when 'completed' then 'assistant-ended-call' when 'callback_requested' then 'customer-ended-call'
                else 'pipeline-error-openai-llm-failed' end as ended_reason,
           case when r_dur < 0.01 then null
                when outcome in ('no_answer', 'busy', 'failed') then round((r_dur * 30)::numeric, 2)
                when outcome = 'voicemail' then round((20 + r_dur * 40)::numeric, 2)
                when outcome = 'booked' then round((180 + r_dur * 420)::numeric, 2)
                else round((45 + r_dur * 500)::numeric, 2) end::numeric(12, 2) as duration
    from o
)
select d.client_id, d.client_key, d.i, d.ended_at, d.booked, d.outcome, d.ended_reason, d.duration,
       case when d.duration is null then null else round(d.duration / 60 * 0.11 + 0.01, 4) end::numeric(12, 4) as cost,
       md5(d.client_id || ':' || d.i)::uuid::text as call_id,
       case when d.lead_k is null then 'phoneNumberId' else 'variableValues.clientKey' end as tenant_rule,
       l.id as lead_id, l.source, l.name as lead_name,
       coalesce(l.phone_e164, '+447911' || lpad((d.i % 1000000)::text, 6, '0')) as phone
from d left join lead_map l on l.client_id = d.client_id and l.k = d.lead_k;
analyze g;

insert into calls (vapi_call_id, client_id, tenant_rule, lead_id, customer_number, status, status_rank, ended_reason, outcome,
                   success_evaluation, started_at, ended_at, duration_seconds, cost, summary, structured_data, report_count, created_at, updated_at)
select call_id, client_id, tenant_rule, lead_id::text, phone, 'ended', 100, ended_reason, outcome,
       case when outcome = 'booked' then 'true' end, ended_at - coalesce(duration, 0) * interval '1 second', ended_at, duration, cost,
       format('Bench call %s: %s', i, outcome), case when outcome = 'booked' then '{"booked":true}' end, 1,
       least(ended_at, :'cap'::timestamptz), least(ended_at, :'cap'::timestamptz)
from g order by client_id, i;

\echo STEP call_events
-- call.ended as VapiWebhook.recordEndOfCall writes it: props {outcome, endedReason, durationSeconds, cost, tenantRule}
insert into analytics_events (event_key, event_type, client_id, client_key, vapi_call_id, outcome, props, occurred_at, created_at, lead_id, source)
select 'call.ended:' || call_id, 'call.ended', client_id, client_key, call_id, outcome,
       '{"outcome":' || to_json(outcome)::text || ',"endedReason":' || to_json(ended_reason)::text
           || ',"durationSeconds":' || coalesce(duration::text, 'null') || ',"cost":' || coalesce(cost::text, 'null')
           || ',"tenantRule":' || to_json(tenant_rule)::text || '}',
       ended_at, least(ended_at, :'cap'::timestamptz), lead_id, source
from g order by client_id, i;

\echo STEP appointments
-- the booked calls' appointments: booked a minute before the call ended, for 09:00-16:00 local on
-- one of the next 14 days, an hour long; about 8 % cancelled later (before the start). Those whose
-- end is over 24 h (plus a sweep interval) before the load are attended, as a live hub would have
-- marked them: about 4 % no_show by the client within 20 h of the end, the others completed by the
-- attendance sweep 24 h after the end (hub.analytics.auto-complete-after-hours) at its next 15-minute
-- tick; the later ones are still booked (the hub's own sweep marks them when their time comes)
create temp table ga as
with ins as (
    insert into appointments (client_id, lead_id, vapi_call_id, tool_call_id, customer_name, phone_e164, email, service, notes,
                              start_at, end_at, scheduled_at, status, calendar_status, created_at, updated_at, cancelled_at,
                              completed_at, completed_by, no_show_at, no_show_by)
    select client_id, lead_id, call_id, 'call_' || left(md5('tool' || call_id), 24), coalesce(lead_name, 'Caller ' || i), phone,
           case when lead_id is not null then 'customer' || lead_id || '@example.com' end, service, null,
           start_at, end_at, booked_at,
           case when cancelled_at is not null then 'cancelled' when no_show_at is not null then 'no_show'
                when completed_at is not null then 'completed' else 'booked' end,
           'not_configured', booked_at, coalesce(cancelled_at, no_show_at, completed_at, booked_at), cancelled_at,
           completed_at, case when completed_at is not null then 'sweep' end, no_show_at, case when no_show_at is not null then 'client' end
    from (
        select y.*,
               case when cancelled_at is null and attended and pg_temp.h(i, 13) >= 0.04
                    then end_at + interval '24 hours' + date_trunc('second', pg_temp.h(i, 14) * interval '15 minutes') end as completed_at,
               case when cancelled_at is null and attended and pg_temp.h(i, 13) < 0.04
                    then end_at + date_trunc('second', (1 + pg_temp.h(i, 14) * 19) * interval '1 hour') end as no_show_at
        from (
            select g.*, b.booked_at, b.start_at, b.start_at + interval '1 hour' as end_at, b.service,
                   b.start_at + interval '1 hour' <= now() - interval '24 hours 15 minutes' as attended,
                   case when pg_temp.h(i, 8) < 0.08
                        then least(b.booked_at + date_trunc('second', (1 + pg_temp.h(i, 9) * 71) * interval '1 hour'), b.start_at - interval '1 hour') end as cancelled_at
            from g cross join lateral (
                select g.ended_at - interval '60 seconds' as booked_at,
                       ((date_trunc('day', (g.ended_at - interval '60 seconds') at time zone :'tz')
                         + (1 + floor(pg_temp.h(g.i, 10) * 14)) * interval '1 day' + (9 + floor(pg_temp.h(g.i, 11) * 8)) * interval '1 hour') at time zone :'tz') as start_at,
                       case when pg_temp.h(g.i, 12) < 0.50 then 'Boiler service' when pg_temp.h(g.i, 12) < 0.80 then 'Boiler repair'
                            when pg_temp.h(g.i, 12) < 0.90 then 'Boiler install' end as service
            ) b
            where g.booked
        ) y
        order by client_id, i
    ) x
    returning id, client_id, lead_id, service, start_at, created_at, cancelled_at, completed_at, no_show_at
)
select ins.*, p.client_key, l.source
from ins join plan p using (client_id) left join leads l on l.id = ins.lead_id;

\echo STEP appointment_events
-- as AnalyticsFacts builds them (no vapi_call_id; the writer fills in client_key and the lead's source):
-- appointment.booked {appointmentId, service, startAt, bookedBy} at created_at;
-- appointment.cancelled {appointmentId, service, bookedAt, startAt} at cancelled_at;
-- appointment.completed / appointment.no_show {appointmentId, service, startAt, by} when marked
insert into analytics_events (event_key, event_type, client_id, client_key, vapi_call_id, outcome, props, occurred_at, created_at, lead_id, source)
select type || ':' || id, type, client_id, client_key, null, null, props, at, least(at, :'cap'::timestamptz), lead_id, source
from (
    select id, 'appointment.booked' as type, client_id, client_key,
           '{"appointmentId":' || id || ',"service":' || coalesce(to_json(service)::text, 'null') || ',"startAt":"' || pg_temp.iso(start_at)
               || '","bookedBy":"assistant"}' as props, created_at as at, lead_id, source
    from ga
    union all
    select id, 'appointment.cancelled', client_id, client_key,
           '{"appointmentId":' || id || ',"service":' || coalesce(to_json(service)::text, 'null') || ',"bookedAt":"' || pg_temp.iso(created_at)
               || '","startAt":"' || pg_temp.iso(start_at) || '"}', cancelled_at, lead_id, source
    from ga where cancelled_at is not null
    union all
    select id, 'appointment.completed', client_id, client_key,
           '{"appointmentId":' || id || ',"service":' || coalesce(to_json(service)::text, 'null') || ',"startAt":"' || pg_temp.iso(start_at)
               || '","by":"sweep"}', completed_at, lead_id, source
    from ga where completed_at is not null
    union all
    select id, 'appointment.no_show', client_id, client_key,
           '{"appointmentId":' || id || ',"service":' || coalesce(to_json(service)::text, 'null') || ',"startAt":"' || pg_temp.iso(start_at)
               || '","by":"client"}', no_show_at, lead_id, source
    from ga where no_show_at is not null
) e
order by at;

\echo STEP analyze
analyze clients;
analyze leads;
analyze calls;
analyze appointments;
analyze analytics_events;
\echo STEP done
