package uk.bookinghub.support;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Scrape#problems()} finds what {@code promtool check metrics} (2.42) said about the hub's
 * scrape before Camel's and Micrometer's meters were made clean: the same lines, fed to promtool,
 * gave exactly these remarks.
 */
class ScrapeTest {

    @Test
    void flagsWhatPromtoolFlagged() {
        Scrape scrape = Scrape.parse("""
                # HELP app_info
                # TYPE app_info gauge
                app_info{camel_version="4.17.0"} 1.0
                # HELP camel_exchanges_total Total number of processed exchanges
                # TYPE camel_exchanges_total counter
                camel_exchanges_total{camelContext="booking-hub",routeId="vapi-webhooks"} 1.0
                # HELP process_cpu_time_ns_total The "cpu time" used by the Java Virtual Machine process
                # TYPE process_cpu_time_ns_total counter
                process_cpu_time_ns_total 1.0E9
                # HELP system_cpu_count The number of processors available to the Java virtual machine
                # TYPE system_cpu_count gauge
                system_cpu_count 2.0
                # HELP jvm_gc_pause_milliseconds Time spent in GC pause
                # TYPE jvm_gc_pause_milliseconds gauge
                jvm_gc_pause_milliseconds 2.0
                """);
        assertThat(scrape.problems()).containsExactlyInAnyOrder(
                "empty HELP for app_info",
                "label name not snake_case: camelContext in camel_exchanges_total",
                "label name not snake_case: routeId in camel_exchanges_total",
                "metric name process_cpu_time_ns_total contains an abbreviated unit: ns",
                "gauge system_cpu_count has a histogram / summary suffix",
                "metric name jvm_gc_pause_milliseconds uses milliseconds, not the base unit seconds");
    }

    @Test
    void aCleanExpositionHasNoProblems() {
        Scrape scrape = Scrape.parse("""
                # HELP camel_exchanges_total Total number of processed exchanges
                # TYPE camel_exchanges_total counter
                camel_exchanges_total{camel_context="booking-hub",route_id="vapi-webhooks"} 1.0
                # HELP system_cpu_cores The number of processors available to the Java virtual machine
                # TYPE system_cpu_cores gauge
                system_cpu_cores 2.0
                """);
        assertThat(scrape.problems()).isEmpty();
        assertThat(scrape.value("camel_exchanges_total", "route_id", "vapi-webhooks")).isEqualTo(1.0);
    }
}
