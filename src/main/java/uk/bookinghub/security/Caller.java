package uk.bookinghub.security;

import uk.bookinghub.clients.Client;

/**
 * Who is calling, as the front door established it: a client (by API key), an admin (by admin
 * token), a partner webhook (Vapi, Twilio: by their secret or signature), or nobody (a public
 * endpoint).
 */
public record Caller(Client client, boolean admin, String partner) {

    public static final Caller ADMIN = new Caller(null, true, null);
    public static final Caller ANONYMOUS = new Caller(null, false, null);

    public static Caller of(Client client) {
        return new Caller(client, false, null);
    }

    public static Caller partner(String name) {
        return new Caller(null, false, name);
    }

    public String name() {
        if (admin) {
            return "admin";
        }
        if (client != null) {
            return "client:" + client.clientKey();
        }
        return partner != null ? partner : "anonymous";
    }
}
