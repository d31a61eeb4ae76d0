package org.xapijava.cli.server;

import java.util.Locale;

/**
 * Xapi's {@code cli_progress_bar.ml}: an 80-column bar {@code [s] ####>   (NNN% ETA hh:mm:ss)} redrawn with
 * {@code \r} when its width changes, and {@code Total time: ...} at the end. Not thread-safe.
 */
final class ProgressBar {
    private static final String PREFIX = "[*] ";
    private static final String SUFFIX = "  (   % ETA   :  :  )";
    private static final char[] SPINNER = {'-', '\\', '|', '/'};

    private final int width;
    private final char[] line;
    private final long start = System.nanoTime();
    private double current;
    private int spin;
    private boolean summarised;

    ProgressBar(int width) {
        this.width = width;
        this.line = " ".repeat(width).toCharArray();
        PREFIX.getChars(0, PREFIX.length(), line, 0);
        SUFFIX.getChars(0, SUFFIX.length(), line, width - SUFFIX.length() - 1);
    }

    private int barWidth(double value) {
        return (int) (value * (width - PREFIX.length() - SUFFIX.length()));
    }

    /** Moves to {@code value} (0..1); whether the bar's width changed (then it is worth drawing). */
    boolean update(double value) {
        double v = Math.min(Math.max(value, 0), 1);
        boolean changed = barWidth(v) != barWidth(current);
        current = v;
        return changed;
    }

    /** The bar's text (the spinner moves on each call). */
    String text() {
        int w = barWidth(current);
        line[1] = SPINNER[spin];
        spin = (spin + 1) % SPINNER.length;
        for (int i = 0; i < w; i++) line[PREFIX.length() + i] = i == w - 1 ? '>' : '#';
        String pct = String.format(Locale.ROOT, "%3d", (int) (current * 100));
        pct.getChars(0, 3, line, width - 19);
        String eta = eta();
        eta.getChars(0, eta.length(), line, width - 10);
        return new String(line);
    }

    private String eta() {
        double soFar = (System.nanoTime() - start) / 1e9;
        double total = current <= 0 ? Double.POSITIVE_INFINITY : soFar / current;
        double remaining = total - soFar;
        if (Double.isInfinite(remaining) || Double.isNaN(remaining) || remaining > Integer.MAX_VALUE) return "++:++:++";
        int secs = (int) remaining;
        String s = String.format(Locale.ROOT, "%02d:%02d:%02d", secs / 3600, secs % 3600 / 60, secs % 60);
        if (s.length() <= 8) return s;
        s = String.format(Locale.ROOT, "%05d:%02d", secs / 3600, secs % 3600 / 60);
        return s.length() <= 8 ? s : "++:++:++";
    }

    /** {@code Total time: <span>} and a newline, once. */
    String summary() {
        if (summarised) return "";
        summarised = true;
        return "Total time: " + span(System.nanoTime() - start) + "\n";
    }

    /** A duration as Mtime prints a span: the largest unit with up to three significant digits. */
    static String span(long nanos) {
        if (nanos < 1_000) return nanos + "ns";
        if (nanos < 1_000_000) return sig(nanos / 1e3) + "us";
        if (nanos < 1_000_000_000) return sig(nanos / 1e6) + "ms";
        double s = nanos / 1e9;
        if (s < 60) return sig(s) + "s";
        long total = (long) s;
        if (total < 3600) return total / 60 + "min" + (total % 60 == 0 ? "" : total % 60 + "s");
        return total / 3600 + "h" + (total % 3600 / 60 == 0 ? "" : total % 3600 / 60 + "min");
    }

    private static String sig(double v) {
        String s = v >= 100
                ? String.format(Locale.ROOT, "%.0f", v)
                : v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
        if (s.contains(".")) s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        return s;
    }
}
