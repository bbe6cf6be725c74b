# Sourced by bench/export.sh and bench/restore-drill.sh: load_rows KIND CLIENT_ID OTHER_CLIENT_ID puts LEADS leads,
# CALLS ended calls with a ~600-byte transcript and MESSAGES sent SMS of one client into the database set-based
# (PostgreSQL database HUB_DB through psql_q, or the SQLite file SQLITE_FILE), plus one lead of the other client
# whose name ("Other Client Marker") must never appear in the first client's data.
# Leads as the intake stores them (valid GB mobiles +4475xxxxxxxx, dedupe_no = the digits), calls with a transcript,
# sent messages; the other client gets one lead whose name must never appear in the export.
TRANSCRIPT="AI: Good morning, this is the booking assistant for Bench Solar. Am I speaking with the homeowner? User: Yes, speaking. AI: You asked about a solar survey; we have Thursday at ten or Friday at two. Which suits you? User: Thursday at ten is fine. AI: Lovely, I have booked Thursday at ten. You will get a text and an email to confirm. Is there anything else? User: No, that is all, thank you. AI: Thank you, goodbye."
load_rows() { # kind, client id, other client id
    local kind=$1 cid=$2 other=$3
    if [ "$kind" = postgresql ]; then
        psql_q -d "$HUB_DB" -c "
            insert into leads (client_id, dedupe_no, name, phone_raw, phone_e164, phone_type, phone_region, sms_capable, dialable, email, source,
                               consent, consent_at, consent_source, attributes, status, import_id, import_line, created_at, updated_at)
            select $cid, 447500000000 + g, 'Lead ' || g, '07500 ' || lpad(g::text, 6, '0'), '+447500' || lpad(g::text, 6, '0'), 'mobile', 'GB', true, true,
                   'lead' || g || '@customer.example', case g % 3 when 0 then 'facebook' when 1 then 'google' else 'referral' end,
                   'yes', '2026-11-01', 'web form', '{\"postcode\":\"LS1 4AP\",\"roof\":\"south\"}', 'new', 'imp_bench', g, now(), now()
            from generate_series(1, $LEADS) g;
            insert into leads (client_id, dedupe_no, name, phone_e164, status, created_at, updated_at)
            values ($other, 447400000001, 'Other Client Marker', '+447400000001', 'new', now(), now());
            insert into calls (vapi_call_id, client_id, tenant_rule, lead_id, customer_number, status, status_rank, ended_reason, outcome,
                               started_at, ended_at, duration_seconds, cost, summary, transcript, recording_url, report_count, created_at, updated_at)
            select 'bench-call-' || g, $cid, 'dialler', g::text, '+447500' || lpad(g::text, 6, '0'), 'ended', 100, 'customer-ended-call', 'booked',
                   now() - interval '1 hour', now(), 93.5, 0.2125, 'Booked a survey for Thursday at ten.', '$TRANSCRIPT',
                   'https://storage.example.com/bench-' || g || '.wav', 1, now(), now()
            from generate_series(1, $CALLS) g;
            insert into messages (client_id, lead_id, channel, kind, idempotency_key, to_address, body, status, status_rank, next_attempt_at,
                                  created_at, updated_at, sent_at, segments, encoding, provider_id)
            select $cid, g, 'sms', 'confirmation', 'bench-msg-' || g, '+447500' || lpad(g::text, 6, '0'),
                   'Hi Lead ' || g || ', your survey with Bench Solar is booked for Thursday 10 December at 10am. Reply to this text to change it.',
                   'sent', 3, now(), now(), now(), now(), 1, 'GSM-7', 'SMbench' || g
            from generate_series(1, $MESSAGES) g;
            analyze;" >/dev/null
    else
        sqlite3 -bail "$SQLITE_FILE" "pragma journal_mode = wal;
            with recursive g(i) as (select 1 union all select i + 1 from g where i < $LEADS)
            insert into leads (client_id, dedupe_no, name, phone_raw, phone_e164, phone_type, phone_region, sms_capable, dialable, email, source,
                               consent, consent_at, consent_source, attributes, status, import_id, import_line, created_at, updated_at)
            select $cid, 447500000000 + i, 'Lead ' || i, '07500 ' || substr('000000' || i, -6), '+447500' || substr('000000' || i, -6), 'mobile', 'GB', 1, 1,
                   'lead' || i || '@customer.example', case i % 3 when 0 then 'facebook' when 1 then 'google' else 'referral' end,
                   'yes', '2026-11-01', 'web form', '{\"postcode\":\"LS1 4AP\",\"roof\":\"south\"}', 'new', 'imp_bench', i,
                   strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
            from g;
            insert into leads (client_id, dedupe_no, name, phone_e164, status, created_at, updated_at)
            values ($other, 447400000001, 'Other Client Marker', '+447400000001', 'new', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
            with recursive g(i) as (select 1 union all select i + 1 from g where i < $CALLS)
            insert into calls (vapi_call_id, client_id, tenant_rule, lead_id, customer_number, status, status_rank, ended_reason, outcome,
                               started_at, ended_at, duration_seconds, cost, summary, transcript, recording_url, report_count, created_at, updated_at)
            select 'bench-call-' || i, $cid, 'dialler', cast(i as text), '+447500' || substr('000000' || i, -6), 'ended', 100, 'customer-ended-call', 'booked',
                   strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 93.5, 0.2125, 'Booked a survey for Thursday at ten.',
                   '$TRANSCRIPT', 'https://storage.example.com/bench-' || i || '.wav', 1,
                   strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
            from g;
            with recursive g(i) as (select 1 union all select i + 1 from g where i < $MESSAGES)
            insert into messages (client_id, lead_id, channel, kind, idempotency_key, to_address, body, status, status_rank, next_attempt_at,
                                  created_at, updated_at, sent_at, segments, encoding, provider_id)
            select $cid, i, 'sms', 'confirmation', 'bench-msg-' || i, '+447500' || substr('000000' || i, -6),
                   'Hi Lead ' || i || ', your survey with Bench Solar is booked for Thursday 10 December at 10am. Reply to this text to change it.',
                   'sent', 3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                   strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 1, 'GSM-7', 'SMbench' || i
            from g;
            analyze;" >/dev/null
    fi
}

