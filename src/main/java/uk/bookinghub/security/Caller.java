package uk.bookinghub.security;

import uk.bookinghub.clients.Client;

/** Who is calling a client-or-admin endpoint: a client (by API key) or an admin (by admin token). */
public record Caller(Client client, boolean admin) {
    public String name() {
        return admin ? "admin" : "client:" + client.clientKey();
    }
}
