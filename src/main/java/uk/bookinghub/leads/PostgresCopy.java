package uk.bookinghub.leads;

import org.postgresql.PGConnection;

import uk.bookinghub.http.Json;

import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * PostgreSQL bulk path for lead rows: {@code COPY ... FROM STDIN} in CSV format, several times
 * faster than bound multi-row inserts. Used inside the chunk's transaction; a unique violation
 * (a row that arrived meanwhile) makes the caller fall back to {@code INSERT ... ON CONFLICT}.
 */
final class PostgresCopy {
    private PostgresCopy() {
    }

    static final String COPY = "copy leads (client_id, dedupe_key, name, phone_raw, phone_e164, phone_type, phone_region, sms_capable, dialable, "
            + "email, source, consent, consent_at, consent_source, attributes, status, status_reason, warning, import_id, import_line, instant, "
            + "created_at, updated_at) from stdin with (format csv)";

    static void copyLeads(Connection c, long clientId, String importId, List<LeadStore.NewLead> leads, Instant now) throws SQLException {
        String ts = now.toString();
        StringBuilder sb = new StringBuilder(leads.size() * 220);
        for (LeadStore.NewLead l : leads) {
            LeadRow r = l.row();
            sb.append(clientId).append(',');
            text(sb, l.dedupeKey()).append(',');
            text(sb, r.name()).append(',');
            text(sb, r.phone()).append(',');
            text(sb, l.e164()).append(',');
            text(sb, l.type()).append(',');
            text(sb, l.region()).append(',');
            sb.append(l.sms() ? 't' : 'f').append(',');
            sb.append(l.dialable() ? 't' : 'f').append(',');
            text(sb, l.email()).append(',');
            text(sb, r.source()).append(',');
            text(sb, r.consent()).append(',');
            text(sb, r.consentAt()).append(',');
            text(sb, r.consentSource()).append(',');
            text(sb, r.attributes().isEmpty() ? "{}" : Json.write(r.attributes())).append(',');
            text(sb, l.status()).append(',');
            text(sb, l.reason()).append(',');
            text(sb, l.warning()).append(',');
            text(sb, importId).append(',');
            sb.append(r.line()).append(',');
            sb.append(r.instant() ? 't' : 'f').append(',');
            sb.append(ts).append(',').append(ts).append('\n');
        }
        try {
            c.unwrap(PGConnection.class).getCopyAPI().copyIn(COPY, new StringReader(sb.toString()));
        } catch (IOException e) {
            throw new SQLException("COPY of leads failed: " + e.getMessage(), "58030", e);
        }
    }

    /** A CSV field: null stays unquoted (NULL); anything else is quoted, so a formula-looking cell stays text. */
    private static StringBuilder text(StringBuilder sb, String v) {
        if (v == null) {
            return sb;
        }
        sb.append('"');
        for (int i = 0; i < v.length(); i++) {
            char ch = v.charAt(i);
            if (ch == '"') {
                sb.append('"');
            }
            sb.append(ch);
        }
        return sb.append('"');
    }
}
