package uk.bookinghub.messaging;

import com.twilio.http.HttpClient;
import com.twilio.http.NetworkHttpClient;
import com.twilio.http.Request;
import com.twilio.http.Response;
import com.twilio.http.TwilioRestClient;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;

/**
 * The Twilio REST client camel-twilio uses ({@code camel.component.twilio.rest-client}). Two
 * things the component cannot say by itself: every message we create carries our
 * {@code StatusCallback} URL, so delivery reports come back to {@code /webhooks/twilio/status};
 * and {@code twilio.base-url} (tests, staging) points the client at a stand-in instead of
 * api.twilio.com. Connections are pooled for the parallel senders.
 */
public final class TwilioClients {

    /** Twilio's REST API: where the hub's calls go when {@code twilio.base-url} is empty. */
    public static final String TWILIO = "https://api.twilio.com";

    /** Where the hub's own calls to Twilio go: {@code twilio.base-url}, or Twilio itself when it is empty. */
    public static String apiUrl(String baseUrl) {
        return baseUrl == null || baseUrl.isBlank() ? TWILIO : baseUrl.trim().replaceAll("/+$", "");
    }

    private TwilioClients() {
    }

    public static TwilioRestClient create(String accountSid, String authToken, String baseUrl, String publicBaseUrl) {
        boolean configured = accountSid != null && !accountSid.isBlank() && authToken != null && !authToken.isBlank();
        String sid = configured ? accountSid.trim() : "ACnotconfigured";
        String token = configured ? authToken.trim() : "not-configured";
        String callback = publicBaseUrl == null || publicBaseUrl.isBlank() ? null : publicBaseUrl.replaceAll("/+$", "") + "/webhooks/twilio/status";
        return new TwilioRestClient.Builder(sid, token).accountSid(sid).httpClient(new HubHttpClient(baseUrl, callback)).build();
    }

    static final class HubHttpClient extends HttpClient {
        private volatile NetworkHttpClient delegate;
        private final String baseUrl;
        private final String statusCallback;

        HubHttpClient(String baseUrl, String statusCallback) {
            this.baseUrl = baseUrl == null || baseUrl.isBlank() ? null : baseUrl.trim().replaceAll("/+$", "");
            this.statusCallback = statusCallback;
        }

        /**
         * The pooled connections, made on the first request: building them sets up a TLS context (the trust store
         * read), ~0.1 s of the hub's start that no start needs (BENCHMARKS.md, issue 19).
         */
        private NetworkHttpClient delegate() {
            NetworkHttpClient d = delegate;
            if (d == null) {
                synchronized (this) {
                    d = delegate;
                    if (d == null) {
                        d = new NetworkHttpClient(HttpClientBuilder.create().setConnectionManager(
                                PoolingHttpClientConnectionManagerBuilder.create().setMaxConnPerRoute(64).setMaxConnTotal(128).build()));
                        delegate = d;
                    }
                }
            }
            return d;
        }

        @Override
        public Response makeRequest(Request in) {
            boolean createMessage = in.getMethod() == com.twilio.http.HttpMethod.POST && in.getUrl().endsWith("/Messages.json");
            boolean addCallback = createMessage && statusCallback != null && !in.getPostParams().containsKey("StatusCallback");
            if (baseUrl == null && !addCallback) {
                return delegate().makeRequest(in);
            }
            String url = baseUrl == null ? in.getUrl() : in.getUrl().replaceFirst("^https://[^/]+", baseUrl);
            Request out = new Request(in.getMethod(), url);
            if (in.getAuthStrategy() != null) {
                out.setAuth(in.getAuthStrategy());
            } else {
                out.setAuth(in.getUsername(), in.getPassword());
            }
            in.getQueryParams().forEach((k, vs) -> vs.forEach(v -> out.addQueryParam(k, v)));
            in.getPostParams().forEach((k, vs) -> vs.forEach(v -> out.addPostParam(k, v)));
            in.getHeaderParams().forEach((k, vs) -> vs.forEach(v -> out.addHeaderParam(k, v)));
            if (addCallback) {
                out.addPostParam("StatusCallback", statusCallback);
            }
            if (in.getContentType() != null) {
                out.setContentType(in.getContentType());
            }
            if (in.getBody() != null) {
                out.setBody(in.getBody());
            }
            return delegate().makeRequest(out);
        }
    }
}
