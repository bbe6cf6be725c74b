package uk.bookinghub.calls;

import uk.bookinghub.analytics.AnalyticsEvent;

/**
 * A stored end-of-call report: the call written, what the hub knew of the call before (the lead it
 * dialled, a booking made during it), and the analytics event the wire tap records. The steps after
 * the report (closing the dial attempt, starting follow-ups) read it in routes/vapi-webhooks.camel.yaml.
 */
public record EndOfCallResult(CallWrite.EndOfCall call, CallFacts facts, AnalyticsEvent event) implements AnalyticsEvent.Source {

    @Override
    public java.util.List<AnalyticsEvent> events() {
        return event == null ? java.util.List.of() : java.util.List.of(event);
    }
}
