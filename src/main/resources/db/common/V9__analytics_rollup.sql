-- Analytics (both databases): each event names its lead and the lead's source (the campaign), each
-- client may keep analytics settings, and a per-client daily roll-up of the events is kept in the
-- same transaction as the events themselves (AnalyticsStore), so a year's numbers are a few
-- thousand rows to add up instead of a million events.

alter table analytics_events add column lead_id bigint;
alter table analytics_events add column source text;            -- the lead's source (campaign) when the fact had a lead

-- JSON: averageJobValue (GBP), services {name: GBP}, usdToGbp, weeklyReport {enabled, to, day, time}; null = none set
alter table clients add column analytics_settings text;

-- One row per client, local day, campaign, metric and dimension. A row only ever changes by the
-- deltas of events inserted in the same transaction: it always equals the sum over the raw events.
--   metric  dim                    n                      amount
--   call    outcome                calls ended            Vapi cost, USD millionths
--   talk    ''                     calls with a duration  duration, milliseconds
--   booked  service ('' = none)    +1 booked, -1 cancel   0            (day = the day it was booked)
--   attend  completed | no_show    +1 / -1 (correction)   0            (day = the appointment's day)
--   message <channel>.<status>     messages               0
--   price   currency (USD, GBP)    priced SMS             price, millionths of the currency
--   lead    imported | opted_out   leads                  0
create table analytics_daily (
    client_id  bigint  not null,
    day        text    not null,              -- the client's local date, YYYY-MM-DD
    source     text    not null,              -- the lead's source; '' when the fact had none
    metric     text    not null,
    dim        text    not null,
    n          bigint  not null,
    amount     bigint  not null,
    primary key (client_id, day, source, metric, dim)
);
