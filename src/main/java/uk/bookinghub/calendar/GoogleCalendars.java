package uk.bookinghub.calendar;

import com.google.api.client.http.HttpRequestInitializer;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.client.json.gson.GsonFactory;
import com.google.api.services.calendar.Calendar;
import com.google.api.services.calendar.CalendarScopes;
import com.google.auth.http.HttpCredentialsAdapter;
import com.google.auth.oauth2.ServiceAccountCredentials;
import org.apache.camel.CamelContext;
import org.apache.camel.component.google.calendar.GoogleCalendarClientFactory;

import java.io.IOException;
import java.util.Collection;
import java.util.List;

/**
 * The Google Calendar client camel-google-calendar uses ({@code camel.component.google-calendar.client-factory}):
 * a service account from {@code GOOGLE_CLIENT_EMAIL} / {@code GOOGLE_PRIVATE_KEY} (each client
 * shares its calendar with that address), or, when {@code google.base-url} points at a stand-in
 * (tests, staging), a fixed bearer token. The component's own credential options are not used.
 */
public final class GoogleCalendars implements GoogleCalendarClientFactory {

    private final String clientEmail;
    private final String privateKey;
    private final String baseUrl;
    private final String applicationName;
    private volatile Calendar client;

    public GoogleCalendars(String clientEmail, String privateKey, String baseUrl, String applicationName) {
        this.clientEmail = blank(clientEmail);
        this.privateKey = blank(privateKey);
        this.baseUrl = blank(baseUrl);
        this.applicationName = applicationName;
    }

    /** Credentials (or a stand-in) present: clients with a calendar id get calendar sync and busy times. */
    public boolean configured() {
        return baseUrl != null || (clientEmail != null && privateKey != null);
    }

    @Override
    public Calendar makeClient(String clientId, String clientSecret, Collection<String> scopes, String applicationName, String refreshToken,
                               String accessToken, String emailAddress, String p12FileName, String user) {
        return client();
    }

    @Override
    public Calendar makeClient(CamelContext camelContext, String serviceAccountKey, Collection<String> scopes, String applicationName, String delegate) {
        return client();
    }

    private Calendar client() {
        Calendar c = client;
        if (c == null) {
            synchronized (this) {
                if (client == null) {
                    client = build();
                }
                c = client;
            }
        }
        return c;
    }

    private Calendar build() {
        // HttpURLConnection keeps at most 5 idle connections per host unless told otherwise: every
        // freeBusy call beyond that would open a new (TLS) connection to Google
        if (System.getProperty("http.maxConnections") == null) {
            System.setProperty("http.maxConnections", "64");
        }
        HttpRequestInitializer auth;
        if (baseUrl != null) {
            auth = req -> {
                req.getHeaders().setAuthorization("Bearer stand-in-token");
                req.setConnectTimeout(5000);
                req.setReadTimeout(10000);
            };
        } else {
            if (!configured()) {
                throw new IllegalStateException("Google Calendar is not configured: set GOOGLE_CLIENT_EMAIL and GOOGLE_PRIVATE_KEY");
            }
            try {
                // keys pasted into an environment variable often carry literal \n
                String pem = privateKey.replace("\\n", "\n");
                ServiceAccountCredentials creds = ServiceAccountCredentials.fromPkcs8(null, clientEmail, pem, null, List.of(CalendarScopes.CALENDAR));
                HttpCredentialsAdapter adapter = new HttpCredentialsAdapter(creds);
                auth = req -> {
                    adapter.initialize(req);
                    req.setConnectTimeout(5000);
                    req.setReadTimeout(10000);
                };
            } catch (IOException e) {
                throw new IllegalStateException("GOOGLE_PRIVATE_KEY is not a PKCS#8 PEM private key: " + e.getMessage(), e);
            }
        }
        Calendar.Builder b = new Calendar.Builder(new NetHttpTransport(), GsonFactory.getDefaultInstance(), auth).setApplicationName(applicationName);
        if (baseUrl != null) {
            b.setRootUrl(baseUrl.replaceAll("/+$", "") + "/");
        }
        return b.build();
    }

    private static String blank(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
