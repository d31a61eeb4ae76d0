package org.xapijava.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Small figures the load drivers report: median, min, max of per-round results, and the load average. */
public final class Stats {
    private Stats() {}

    /** The median of {@code x} (the mean of the middle two for an even count). */
    public static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** The {@code p}-th percentile of {@code x} (0 < p <= 100), nearest rank. */
    public static double percentile(double[] x, double p) {
        double[] s = x.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(p / 100 * s.length);
        return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
    }

    public static double min(double[] x) {
        return Arrays.stream(x).min().orElse(Double.NaN);
    }

    public static double max(double[] x) {
        return Arrays.stream(x).max().orElse(Double.NaN);
    }

    /** The 1-minute load average from {@code /proc/loadavg}, or {@code ?} where there is none. */
    public static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }
}
