package uk.bookinghub.http;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * X-Forwarded-For names the caller only as far as trusted proxies vouch for it: without trusted
 * proxies, or from a socket that is not one, the socket's address is the caller's whatever the header
 * says; behind trusted proxies the right-most address that is not one of them is.
 */
class CallerAddressTest {

    @Test
    void withoutTrustedProxiesTheSocketIsTheCaller() {
        CallerAddress none = new CallerAddress("");
        assertThat(none.trustedCount()).isZero();
        assertThat(none.of("198.51.100.4", List.of("203.0.113.9"))).isEqualTo("198.51.100.4");
    }

    @Test
    void behindATrustedProxyTheRightMostUntrustedHopIsTheCaller() {
        CallerAddress a = new CallerAddress("10.0.0.0/8, 192.168.1.5 ,2001:db8::/32");
        assertThat(a.trustedCount()).isEqualTo(3);
        assertThat(a.of("10.1.2.3", List.of("203.0.113.9"))).isEqualTo("203.0.113.9");
        // the client made up the left part: the hop the trusted proxy added wins
        assertThat(a.of("10.1.2.3", List.of("1.2.3.4, 203.0.113.9"))).isEqualTo("203.0.113.9");
        // two trusted proxies in a row, in two headers
        assertThat(a.of("192.168.1.5", List.of("198.51.100.7, 10.9.9.9", "10.0.0.1"))).isEqualTo("198.51.100.7");
        // a port, IPv6 in brackets, an IPv4-mapped socket address
        assertThat(a.of("10.1.2.3", List.of("203.0.113.9:5678"))).isEqualTo("203.0.113.9");
        assertThat(a.of("2001:db8::1", List.of("[2001:db9::42]:443"))).isEqualTo("2001:db9::42");
        assertThat(a.of("::ffff:10.1.2.3", List.of("203.0.113.9"))).isEqualTo("203.0.113.9");
        // garbage stops the walk at the last address a trusted proxy vouched for
        assertThat(a.of("10.1.2.3", List.of("evil.example, 10.0.0.2"))).isEqualTo("10.0.0.2");
        // every hop trusted: the left-most
        assertThat(a.of("10.1.2.3", List.of("10.0.0.2"))).isEqualTo("10.0.0.2");
        // no header: the proxy itself
        assertThat(a.of("10.1.2.3", List.of())).isEqualTo("10.1.2.3");
    }

    @Test
    void anUntrustedSocketIsTheCallerWhateverItForwards() {
        CallerAddress a = new CallerAddress("10.0.0.0/8");
        assertThat(a.of("172.16.0.9", List.of("10.0.0.1"))).isEqualTo("172.16.0.9");
        assertThat(a.of("11.0.0.1", List.of("203.0.113.9"))).as("just outside the /8").isEqualTo("11.0.0.1");
        assertThat(new CallerAddress("10.0.0.0/9").of("10.128.0.1", List.of("203.0.113.9"))).as("outside a /9").isEqualTo("10.128.0.1");
    }

    @Test
    void aWrongEntryIsRefusedByName() {
        assertThatThrownBy(() -> new CallerAddress("10.0.0.1, proxy.example")).hasMessageContaining("'proxy.example'");
        assertThatThrownBy(() -> new CallerAddress("10.0.0.0/33")).hasMessageContaining("prefix length");
    }
}
