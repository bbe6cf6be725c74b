import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;
import com.google.i18n.phonenumbers.metadata.DefaultMetadataDependenciesProvider;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The raw libphonenumber rate on a lead file: the ceiling for the hub's phone validation.
 *
 * <pre>
 *   mvn -q -B package -DskipTests     # once, for target/lib/
 *   java -cp target/lib/libphonenumber-9.0.19.jar bench/leads/PhoneRate.java bench/out/leads-1m.csv
 * </pre>
 *
 * Reads the CSV (RFC 4180: quoted fields, "" escapes, commas and line breaks inside quotes,
 * CRLF or LF, optional UTF-8 BOM), keeps the {@code phone} column, then per phone:
 * {@code parse(raw, "GB")}, {@code isValidNumber}, {@code getNumberType}, {@code format(E164)}
 * (the last three only when parse succeeds). One thread: 2 warm-up passes, 3 timed passes, median.
 * Two threads (the list split in halves): 1 warm-up pass, 3 timed passes, median of wall time;
 * first both threads on the shared {@code PhoneNumberUtil.getInstance()}, then each thread on its
 * own {@code PhoneNumberUtil.createInstance(...)}. The singleton funnels every regex lookup of
 * every thread through one synchronized LRU map (internal RegexCache), which is why the first
 * two-thread figure barely beats one thread while the process burns two cores.
 *
 * stdout (three lines):
 *   phonerate rows=N valid=V median_rows_per_s=X
 *   phonerate_2threads median_rows_per_s=Y
 *   phonerate_2threads_own_util median_rows_per_s=Z
 * stderr: CSV read time, per-pass rates, number types and parse failures.
 * Options: -Dpasses=3 -Dwarmup=2 -Dregion=GB -Dcolumn=phone
 */
public final class PhoneRate {
    private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();

    /** Result of one pass over a slice: counts and a checksum that keeps the work observable. */
    static final class Tally {
        long valid, parseErrors, checksum;
        final long[] types = new long[PhoneNumberUtil.PhoneNumberType.values().length];
    }

    static Tally pass(String[] phones, int from, int to, String region) {
        return pass(UTIL, phones, from, to, region);
    }

    static Tally pass(PhoneNumberUtil util, String[] phones, int from, int to, String region) {
        final PhoneNumberUtil UTIL = util;
        Tally t = new Tally();
        for (int i = from; i < to; i++) {
            Phonenumber.PhoneNumber n;
            try {
                n = UTIL.parse(phones[i], region);
            } catch (NumberParseException e) {
                t.parseErrors++;
                continue;
            }
            if (UTIL.isValidNumber(n)) {
                t.valid++;
            }
            t.types[UTIL.getNumberType(n).ordinal()]++;
            t.checksum += UTIL.format(n, PhoneNumberUtil.PhoneNumberFormat.E164).hashCode();
        }
        return t;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java -cp libphonenumber.jar PhoneRate.java FILE.csv");
            System.exit(2);
        }
        int passes = Integer.getInteger("passes", 3);
        int warmup = Integer.getInteger("warmup", 2);
        String region = System.getProperty("region", "GB");
        String column = System.getProperty("column", "phone");

        long t0 = System.nanoTime();
        String[] phones;
        try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
            phones = readColumn(new InputStreamReader(in, StandardCharsets.UTF_8), column);
        }
        long readMs = (System.nanoTime() - t0) / 1_000_000;
        int n = phones.length;
        System.err.printf("phonerate: %s: %d rows, column '%s' read in %d ms; %d warm-up + %d timed passes, region %s%n",
                args[0], n, column, readMs, warmup, passes, region);
        if (n == 0) {
            System.out.println("phonerate rows=0 valid=0 median_rows_per_s=0");
            System.out.println("phonerate_2threads median_rows_per_s=0");
            return;
        }

        // --- one thread -------------------------------------------------------------------------
        Tally last = null;
        long sink = 0;
        for (int w = 0; w < warmup; w++) {
            long s = System.nanoTime();
            last = pass(phones, 0, n, region);
            sink += last.checksum;
            System.err.printf("phonerate: warm-up %d: %.0f rows/s%n", w + 1, n / ((System.nanoTime() - s) / 1e9));
        }
        double[] rates = new double[passes];
        long cpu0 = cpuNanos(), wall0 = System.nanoTime();
        for (int p = 0; p < passes; p++) {
            long s = System.nanoTime();
            last = pass(phones, 0, n, region);
            rates[p] = n / ((System.nanoTime() - s) / 1e9);
            sink += last.checksum;
        }
        double cores1 = (cpuNanos() - cpu0) / (double) (System.nanoTime() - wall0);
        System.err.printf("phonerate: 1 thread passes rows/s: %s (process CPU %.2f cores incl. GC/JIT)%n", fmt(rates), cores1);
        StringBuilder types = new StringBuilder();
        PhoneNumberUtil.PhoneNumberType[] tv = PhoneNumberUtil.PhoneNumberType.values();
        for (int i = 0; i < tv.length; i++) {
            if (last.types[i] > 0) {
                types.append(' ').append(tv[i]).append('=').append(last.types[i]);
            }
        }
        System.err.printf("phonerate: parse_errors=%d types:%s%n", last.parseErrors, types);
        System.out.printf("phonerate rows=%d valid=%d median_rows_per_s=%.0f%n", n, last.valid, median(rates));
        System.out.flush();

        // --- two threads, halves of the list: the shared PhoneNumberUtil.getInstance(), then one
        // PhoneNumberUtil.createInstance(...) per thread (each has its own RegexCache, whose
        // synchronized LRU map is shared by all threads of the singleton) --------------------------
        PhoneNumberUtil[] own = {
                PhoneNumberUtil.createInstance(DefaultMetadataDependenciesProvider.getInstance().getMetadataLoader()),
                PhoneNumberUtil.createInstance(DefaultMetadataDependenciesProvider.getInstance().getMetadataLoader())};
        String[] labels = {"phonerate_2threads", "phonerate_2threads_own_util"};
        for (int mode = 0; mode < 2; mode++) {
            PhoneNumberUtil ua = mode == 0 ? UTIL : own[0], ub = mode == 0 ? UTIL : own[1];
            double[] rates2 = new double[passes];
            final int half = n / 2;
            final long[] sinks = new long[2];
            long cpu2 = 0, wall2 = 0;
            for (int p = -1; p < passes; p++) {   // p = -1: warm-up
                Thread a = new Thread(() -> sinks[0] += pass(ua, phones, 0, half, region).checksum);
                Thread b = new Thread(() -> sinks[1] += pass(ub, phones, half, n, region).checksum);
                long c = cpuNanos(), s = System.nanoTime();
                a.start();
                b.start();
                a.join();
                b.join();
                long e = System.nanoTime();
                if (p >= 0) {
                    rates2[p] = n / ((e - s) / 1e9);
                    cpu2 += cpuNanos() - c;
                    wall2 += e - s;
                }
            }
            System.err.printf("phonerate: %s passes rows/s: %s (process CPU %.2f cores of %d; checksum %d)%n", labels[mode],
                    fmt(rates2), cpu2 / (double) wall2, Runtime.getRuntime().availableProcessors(),
                    sink + sinks[0] + sinks[1]);
            System.out.printf("%s median_rows_per_s=%.0f%n", labels[mode], median(rates2));
            System.out.flush();
        }
    }

    /** CPU time of the whole process (all threads, GC and JIT included), or 0 if unknown. */
    static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean
                ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : 0;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    static String fmt(double[] v) {
        StringBuilder b = new StringBuilder();
        for (double d : v) {
            b.append(b.length() == 0 ? "" : " ").append(String.format("%.0f", d));
        }
        return b.toString();
    }

    /**
     * The values of one column (by header name, case-insensitive, trimmed) of an RFC 4180 CSV.
     * A missing field in a short record counts as "". Streams: only that column is kept.
     */
    static String[] readColumn(Reader in, String column) throws IOException {
        CsvReader csv = new CsvReader(in);
        List<String> header = csv.next();
        if (header == null) {
            throw new IOException("empty file");
        }
        int col = -1;
        for (int i = 0; i < header.size(); i++) {
            if (header.get(i).trim().equalsIgnoreCase(column)) {
                col = i;
                break;
            }
        }
        if (col < 0) {
            throw new IOException("no column '" + column + "' in header " + header);
        }
        List<String> out = new ArrayList<>(1 << 16);
        List<String> rec;
        while ((rec = csv.next()) != null) {
            if (rec.size() == 1 && rec.get(0).isEmpty() && header.size() > 1) {
                continue; // blank line
            }
            out.add(col < rec.size() ? rec.get(col) : "");
        }
        return out.toArray(new String[0]);
    }

    /** Minimal RFC 4180 record reader over a Reader (own buffer, no per-char virtual calls). */
    static final class CsvReader {
        private final Reader in;
        private final char[] buf = new char[1 << 16];
        private int pos, len;
        private boolean first = true, eof;
        private final StringBuilder field = new StringBuilder(64);

        CsvReader(Reader in) {
            this.in = in;
        }

        private int read() throws IOException {
            if (pos == len) {
                if (eof) {
                    return -1;
                }
                len = in.read(buf, 0, buf.length);
                pos = 0;
                if (len <= 0) {
                    len = 0;
                    eof = true;
                    return -1;
                }
            }
            return buf[pos++];
        }

        private void unread() {
            pos--;
        }

        /** The next record, or null at end of input. */
        List<String> next() throws IOException {
            int c = read();
            if (first) {
                first = false;
                if (c == '\uFEFF') {
                    c = read();
                }
            }
            if (c == -1) {
                return null;
            }
            List<String> rec = new ArrayList<>(8);
            field.setLength(0);
            boolean quoted = false;     // inside a quoted section
            while (true) {
                if (quoted) {
                    if (c == -1) {
                        throw new IOException("unterminated quoted field at end of file");
                    }
                    if (c == '"') {
                        int d = read();
                        if (d == '"') {
                            field.append('"');
                        } else {
                            quoted = false;
                            c = d;
                            continue;
                        }
                    } else {
                        field.append((char) c);
                    }
                } else if (c == ',') {
                    rec.add(field.toString());
                    field.setLength(0);
                } else if (c == '\n' || c == -1) {
                    rec.add(field.toString());
                    return rec;
                } else if (c == '\r') {
                    int d = read();
                    if (d != '\n' && d != -1) {
                        unread(); // lone CR ends the record too
                    }
                    rec.add(field.toString());
                    return rec;
                } else if (c == '"' && field.length() == 0) {
                    quoted = true;
                } else {
                    field.append((char) c);  // includes a stray quote inside an unquoted field
                }
                c = read();
            }
        }
    }
}
