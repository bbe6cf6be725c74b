package uk.bookinghub.leads;

import java.util.Map;

/**
 * One lead as the business sent it (a CSV line or a JSON object), before validation.
 * {@code line} is the CSV line the record starts on, or the 1-based position in a JSON array.
 * {@code error} is set when the row itself is malformed (wrong number of fields).
 */
record LeadRow(int line, String name, String phone, String email, String source, String consent, String consentAt,
               String consentSource, Map<String, String> attributes, boolean instant, String error) {
}
