package uk.bookinghub.http;

import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;

/**
 * Works around Camel 4.17: with the management server on its own port, the stock engine cannot
 * tell which of the two Vert.x servers is the application's and falls back to port 8080, so any
 * other {@code PORT} fails at start-up. This engine is told the application port.
 */
public class FixedPortVertxEngine extends VertxPlatformHttpEngine {
    private int fixedPort;

    public void setFixedPort(int fixedPort) {
        this.fixedPort = fixedPort;
    }

    public int getFixedPort() {
        return fixedPort;
    }

    @Override
    public int getServerPort() {
        return fixedPort > 0 ? fixedPort : super.getServerPort();
    }
}
