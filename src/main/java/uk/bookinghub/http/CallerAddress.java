package uk.bookinghub.http;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The caller's IP address: the socket's remote address, unless that is one of the configured trusted
 * proxies ({@code hub.audit.trusted-proxies}: IPs and CIDRs, comma-separated; none by default). Then
 * {@code X-Forwarded-For} is read from its right end (the hop the proxy itself added) leftwards,
 * skipping the trusted proxies, and the first address that is not one of them is the caller. Anyone
 * can write an {@code X-Forwarded-For}: it is believed only as far as trusted proxies vouch for it,
 * so a header sent straight to the hub, or the parts a client made up, change nothing.
 * Addresses are parsed as literals only (never looked up in DNS).
 */
public final class CallerAddress {

    private record Cidr(byte[] network, int bits) {
        boolean contains(byte[] ip) {
            if (ip.length != network.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (ip[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (ip[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Cidr> trusted;

    /** {@code trustedProxies}: "10.0.0.1, 192.168.0.0/16, fd00::/8" or blank; a wrong entry is an error that names it. */
    public CallerAddress(String trustedProxies) {
        List<Cidr> list = new ArrayList<>();
        if (trustedProxies != null) {
            for (String raw : trustedProxies.split(",")) {
                String entry = raw.trim();
                if (entry.isEmpty()) {
                    continue;
                }
                int slash = entry.indexOf('/');
                byte[] ip = bytes(slash < 0 ? entry : entry.substring(0, slash));
                if (ip == null) {
                    throw new IllegalArgumentException("hub.audit.trusted-proxies: '" + entry + "' is not an IP address or CIDR (such as 10.0.0.0/8)");
                }
                int bits = ip.length * 8;
                if (slash >= 0) {
                    try {
                        bits = Integer.parseInt(entry.substring(slash + 1));
                    } catch (NumberFormatException e) {
                        bits = -1;
                    }
                    if (bits < 0 || bits > ip.length * 8) {
                        throw new IllegalArgumentException("hub.audit.trusted-proxies: '" + entry + "' has a prefix length outside 0.." + ip.length * 8);
                    }
                }
                list.add(new Cidr(ip, bits));
            }
        }
        this.trusted = List.copyOf(list);
    }

    /** How many trusted proxy entries are configured. */
    public int trustedCount() {
        return trusted.size();
    }

    /**
     * The caller's address for a request that came from {@code socket} with these
     * {@code X-Forwarded-For} header values (each may list several, comma-separated), normalised
     * (IPv6 compressed); the socket's own address when it is no trusted proxy.
     */
    public String of(String socket, List<String> forwardedFor) {
        byte[] hop = bytes(socket);
        if (hop == null) {
            return socket;
        }
        String caller = text(hop);
        if (!isTrusted(hop) || forwardedFor == null || forwardedFor.isEmpty()) {
            return caller;
        }
        List<String> chain = new ArrayList<>();
        for (String header : forwardedFor) {
            for (String part : header.split(",")) {
                chain.add(part.trim());
            }
        }
        for (int i = chain.size() - 1; i >= 0; i--) {
            byte[] ip = bytes(stripPort(chain.get(i)));
            if (ip == null) {
                return caller; // not an address: the proxy that added it (the last trusted hop) is what is known
            }
            caller = text(ip);
            if (!isTrusted(ip)) {
                return caller;
            }
        }
        return caller;
    }

    /** Whether {@code ip} (the socket's address) is one of the trusted proxies. */
    public boolean isTrustedProxy(String ip) {
        byte[] b = bytes(ip);
        return b != null && isTrusted(b);
    }

    private boolean isTrusted(byte[] ip) {
        for (Cidr c : trusted) {
            if (c.contains(ip)) {
                return true;
            }
        }
        return false;
    }

    /** "[2001:db8::1]:443" and "203.0.113.7:5678" as their address; anything else as it is. */
    private static String stripPort(String s) {
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            return end < 0 ? s : s.substring(1, end);
        }
        int colon = s.indexOf(':');
        if (colon > 0 && s.indexOf(':', colon + 1) < 0 && s.indexOf('.') > 0) {
            return s.substring(0, colon);
        }
        return s;
    }

    /** The address bytes of an IP literal (4 for IPv4 and IPv4-mapped IPv6, else 16), or null; no DNS. */
    static byte[] bytes(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        byte[] b = NetUtil.createByteArrayFromIpAddressString(s.trim());
        if (b != null && b.length == 16 && isV4Mapped(b)) {
            return java.util.Arrays.copyOfRange(b, 12, 16);
        }
        return b;
    }

    private static boolean isV4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF;
    }

    private static String text(byte[] ip) {
        try {
            return NetUtil.toAddressString(InetAddress.getByAddress(ip));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // not for 4 or 16 bytes
        }
    }
}
