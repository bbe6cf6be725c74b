package uk.bookinghub.support;

import com.twilio.http.HttpClient;
import com.twilio.http.NetworkHttpClient;
import com.twilio.http.Request;
import com.twilio.http.Response;
import com.twilio.http.TwilioRestClient;

/**
 * twilio-java {@link HttpClient} that sends what the SDK addresses to {@code https://*.twilio.com} to a
 * {@link TwilioStub} instead (camel-notes.md §8). Test-side only; the hub has its own.
 */
public final class TwilioStubClient extends HttpClient {

    private final NetworkHttpClient delegate = new NetworkHttpClient();
    private final String baseUrl;

    public TwilioStubClient(String baseUrl) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    /** A REST client for {@code accountSid}/{@code authToken} that talks to {@code baseUrl}. */
    public static TwilioRestClient restClient(String accountSid, String authToken, String baseUrl) {
        return new TwilioRestClient.Builder(accountSid, authToken)
                .accountSid(accountSid)
                .httpClient(new TwilioStubClient(baseUrl))
                .build();
    }

    @Override
    public Response makeRequest(Request in) {
        Request out = new Request(in.getMethod(), in.getUrl().replaceFirst("^https://[^/]+", baseUrl));
        if (in.getAuthStrategy() != null) {
            out.setAuth(in.getAuthStrategy());
        } else if (in.getUsername() != null) {
            out.setAuth(in.getUsername(), in.getPassword());
        }
        in.getQueryParams().forEach((k, vs) -> vs.forEach(v -> out.addQueryParam(k, v)));
        in.getPostParams().forEach((k, vs) -> vs.forEach(v -> out.addPostParam(k, v)));
        in.getHeaderParams().forEach((k, vs) -> vs.forEach(v -> out.addHeaderParam(k, v)));
        if (in.getContentType() != null) {
            out.setContentType(in.getContentType());
        }
        if (in.getBody() != null) {
            out.setBody(in.getBody());
        }
        if (in.getUserAgentExtensions() != null) {
            out.setUserAgentExtensions(in.getUserAgentExtensions());
        }
        return delegate.makeRequest(out);
    }
}
