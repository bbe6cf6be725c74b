package uk.bookinghub.calls;

import uk.bookinghub.analytics.AnalyticsEvent;

/** A stored end-of-call report: the call written, and the analytics event the wire tap records. */
public record EndOfCallResult(CallWrite.EndOfCall call, AnalyticsEvent event) {
}
