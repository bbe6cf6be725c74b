package uk.bookinghub.audit;

import org.junit.jupiter.api.Test;

import uk.bookinghub.support.StartRefusal;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No endpoint that changes state can be added without its audit action: a route file declaring a
 * POST with no action in {@link AuditActions} stops the hub from starting, and says which endpoint
 * and what to add. (Every action listed is exercised over HTTP by AuditLogTest.)
 */
class AuditActionsRequiredTest {

    @Test
    void aStateChangingEndpointWithoutAnAuditActionStopsTheHubFromStarting() throws Exception {
        String messages = StartRefusal.messages("unaudited.camel.yaml", """
                - rest:
                    path: /api
                    post:
                      - path: /quietly
                        description: an endpoint that changes something and forgot its audit action
                        security:
                          - key: apiKey
                        to: direct:quietly
                - route:
                    id: quietly
                    description: changes something
                    from:
                      uri: direct:quietly
                      steps:
                        - setBody:
                            constant: done
                """);
        assertThat(messages).as("the hub must refuse to start").isNotNull().contains("POST /api/quietly").contains("must be audited")
                .contains("AuditActions");
    }

    @Test
    void everyListedActionIsADeclaredRouteOfTheRouteFiles() throws Exception {
        StringBuilder routes = new StringBuilder();
        try (var files = Files.list(Path.of("routes"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                routes.append(Files.readString(f));
            }
        }
        AuditActions.all().forEach((routeId, action) -> {
            assertThat(routes.toString()).as("route " + routeId + " of action " + action).contains("to: direct:" + routeId + "\n");
            assertThat(action).matches("[a-z]+(_[a-z]+)*");
        });
    }
}
