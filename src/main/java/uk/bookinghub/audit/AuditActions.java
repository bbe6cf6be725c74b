package uk.bookinghub.audit;

import uk.bookinghub.api.ApiEndpoint;

import java.util.Map;

/**
 * The audit action of each audited endpoint, by the id of the route that serves it (the REST verb's
 * {@code to: direct:<route id>}). Every endpoint that can change state (POST, PUT, PATCH, DELETE) that
 * is not a partner's webhook must be here: {@link #missing} is a rule of the API catalog, so a route
 * file that declares one without an action stops the hub from starting (and is not reloaded). A read
 * endpoint is audited when it is listed (a client's data export). The README lists every action.
 */
public final class AuditActions {

    /** An authentication failure on any endpoint (401, 403 before the caller is known). */
    public static final String AUTH_FAILURE = "auth_failure";

    private static final Map<String, String> BY_ROUTE = Map.ofEntries(
            Map.entry("lead-intake", "lead_import"),
            Map.entry("lead-intake-single", "lead_create"),
            Map.entry("opt-outs", "opt_out_add"),
            Map.entry("opt-outs-remove", "opt_out_remove"),
            Map.entry("client-settings-put", "settings_update"),
            Map.entry("templates-save", "template_update"),
            Map.entry("templates-reset", "template_reset"),
            Map.entry("appointments-patch", "appointment_update"),
            Map.entry("messages-queue", "message_queue"),
            Map.entry("follow-up-sequences-put", "follow_up_sequences_update"),
            Map.entry("dead-letters-replay", "dead_letter_replay"),
            Map.entry("clients-onboard", "client_onboard"),
            Map.entry("dialler-resume", "dialler_resume"),
            Map.entry("analytics-rebuild", "analytics_rebuild"),
            Map.entry("analytics-reconcile-now", "analytics_reconcile"),
            Map.entry("analytics-weekly-reports-run-now", "weekly_reports_run"),
            Map.entry("quality-run-now", "quality_run"),
            Map.entry("reminders-run-now", "reminders_run"),
            Map.entry("follow-ups-run-now", "follow_ups_run"),
            Map.entry("alerts-test", "alert_test"),
            Map.entry("auth-token", "token_issue"),
            Map.entry("api-keys-create", "api_key_create"),
            Map.entry("api-keys-revoke", "api_key_revoke"),
            Map.entry("clients-update", "client_update"),
            Map.entry("clients-activate", "client_activate"),
            Map.entry("clients-suspend", "client_suspend"),
            Map.entry("signup", "signup"),
            Map.entry("signup-verify", "signup_verify"),
            Map.entry("assistant-create", "assistant_create"),
            Map.entry("assistant-sync", "assistant_sync"),
            Map.entry("privacy-export", "export"),
            Map.entry("privacy-access", "subject_access"),
            Map.entry("privacy-erasure", "erasure"),
            Map.entry("leads-expire-run-now", "leads_expire_run"),
            Map.entry("retention-run-now", "retention_run"),
            Map.entry("backups-create-now", "backup_create"),
            Map.entry("backups-verify", "backup_verify"),
            Map.entry("events-ticket", "stream_ticket"),
            Map.entry("onboarding-business", "onboarding_business"),
            Map.entry("onboarding-calendar-check", "onboarding_calendar_check"),
            Map.entry("onboarding-numbers-check", "onboarding_numbers_check"),
            Map.entry("onboarding-test-call", "onboarding_test_call"),
            Map.entry("templates-preview", "template_preview"));

    private AuditActions() {
    }

    /** The action of the endpoint served by {@code routeId}, or null when it is not audited. */
    public static String of(String routeId) {
        return routeId == null ? null : BY_ROUTE.get(routeId);
    }

    /** Every audited route id and its action. */
    public static Map<String, String> all() {
        return BY_ROUTE;
    }

    /** Whether a request to {@code e} can change state: any method but GET, unless a partner (Vapi, Twilio) sends it. */
    public static boolean changesState(ApiEndpoint e) {
        return !e.method().equals("GET") && !e.partner();
    }

    /** The catalog rule: what is wrong with {@code e} for the audit log, or null. */
    public static String missing(ApiEndpoint e) {
        if (changesState(e) && of(e.routeId()) == null) {
            return "a " + e.method() + " endpoint changes state and must be audited: add its route id '" + e.routeId()
                    + "' with an action name to uk.bookinghub.audit.AuditActions (and the README's list of actions)";
        }
        return null;
    }
}
