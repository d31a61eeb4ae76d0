package org.xapijava.cli.client;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The options {@code xe} consumes itself (§2.1 of the CLI reference), from {@code ~/.xe}, then {@code XE_EXTRA_ARGS},
 * then the command line (a later source wins), and the words it passes on to the server: the command line's, then
 * {@code XE_EXTRA_ARGS}'s, then the rc file's.
 */
final class XeOptions {
    static final String LOCALHOST = "127.0.0.1";

    String server = LOCALHOST;
    /** The port given, or -1 for the transport's default (443 with TLS, 80 without). */
    int port = -1;

    String username = "root";
    String password = "null";
    String passwordFile = "";
    boolean ssl = true;
    boolean debug;
    boolean debugOnFail;
    String traceparent;
    /** The words sent to the server, before {@code username=} and {@code password=}. */
    List<String> words = List.of();

    /** The port for a connection with or without TLS. */
    int port(boolean tls) {
        return port >= 0 ? port : tls ? 443 : 80;
    }

    /** Whether connections to {@code host} use TLS: never to the literal 127.0.0.1, nor with {@code --nossl}. */
    boolean tls(String host) {
        return ssl && !LOCALHOST.equals(host);
    }

    /**
     * Reads every source. {@code err} gets the rc file's parse error; the password file is read here too.
     *
     * @throws XeException for {@code -help}, a bad port, a bad {@code nossl} value or an unusable password file
     */
    static XeOptions parse(String[] argv, Map<String, String> env, Path home, PrintStream err) throws XeException {
        XeOptions o = new XeOptions();
        List<String> rcRest = new ArrayList<>();
        for (String[] kv : readRc(home, err)) {
            if (!o.set(kv[0], kv[1])) rcRest.add(kv[0] + "=" + kv[1]);
        }
        List<String> extraRest = o.process(splitExtraArgs(env.get("XE_EXTRA_ARGS")));
        String tp = env.get("TRACEPARENT");
        if (tp != null) o.traceparent = tp;
        boolean help = false;
        for (String a : argv) if (a.equals("-help") || a.equals("--help")) help = true;
        List<String> argRest = o.process(List.of(argv));
        if (help) throw XeException.usage("");
        List<String> words = new ArrayList<>(argRest);
        words.addAll(extraRest);
        words.addAll(rcRest);
        o.words = List.copyOf(words);
        if (!o.passwordFile.isEmpty()) o.readPasswordFile();
        return o;
    }

    /** Applies a known key; false for a key the client does not know (the word goes to the server). */
    private boolean set(String k, String v) throws XeException {
        switch (k) {
            case "server" -> server = v;
            case "port" -> port = parsePort(v);
            case "username" -> username = v;
            case "password" -> password = v;
            case "passwordfile" -> passwordFile = v;
            case "nossl" -> ssl = !strictBool(v);
            case "debug" -> debug = "true".equals(v);
            case "debugonfail" -> debugOnFail = "true".equals(v);
            case "traceparent" -> traceparent = v;
            default -> {
                return false;
            }
        }
        return true;
    }

    private static int parsePort(String v) throws XeException {
        try {
            int p = Integer.parseInt(v);
            if (p >= 0 && p <= 65535) return p;
        } catch (NumberFormatException e) {
            // the same message as an out-of-range number
        }
        throw XeException.usage("Port number must be an integer (0-65535)\n");
    }

    private static boolean strictBool(String v) throws XeException {
        if (v.equals("true")) return true;
        if (v.equals("false")) return false;
        throw XeException.fail("Unhandled exception\nInvalid_argument(\"bool_of_string\")\n");
    }

    /** The switches that take the next word as their value, and the key each one sets. */
    private static String switchKey(String a) {
        return switch (a) {
            case "-s", "-h" -> "server";
            case "-p" -> "port";
            case "-u" -> "username";
            case "-pw" -> "password";
            case "-pwf" -> "passwordfile";
            case "--traceparent" -> "traceparent";
            default -> null;
        };
    }

    /** Consumes the options among {@code args}; returns the other words in order. */
    private List<String> process(List<String> args) throws XeException {
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String key = switchKey(a);
            if (key != null && i + 1 < args.size()) {
                set(key, args.get(++i));
                continue;
            }
            switch (a) {
                case "--nossl" -> set("nossl", "true");
                case "--debug" -> set("debug", "true");
                case "--debug-on-fail" -> set("debugonfail", "true");
                default -> {
                    int eq = a.indexOf('=');
                    if (eq < 0 || !set(a.substring(0, eq), a.substring(eq + 1))) rest.add(a);
                }
            }
        }
        return rest;
    }

    /**
     * {@code XE_EXTRA_ARGS}: words separated by commas, {@code \,} keeping a comma in a word; every backslash is then
     * dropped. Empty words are skipped.
     */
    static List<String> splitExtraArgs(String s) {
        List<String> out = new ArrayList<>();
        if (s == null) return out;
        int pos = 0;
        int i = 0;
        int n = s.length();
        while (pos < n) {
            if (s.charAt(pos) == ',') {
                pos++;
                i = pos;
            } else if (i >= n || (s.charAt(i) == ',' && s.charAt(i - 1) != '\\')) {
                StringBuilder w = new StringBuilder(i - pos);
                for (int j = pos; j < i; j++) if (s.charAt(j) != '\\') w.append(s.charAt(j));
                out.add(w.toString());
                i++;
                pos = i;
            } else {
                i++;
            }
        }
        return out;
    }

    /**
     * {@code $HOME/.xe}: one {@code key=value} a line, empty lines skipped; a line without {@code =} voids the whole
     * file (with a message). A missing or unreadable file is no file.
     */
    static List<String[]> readRc(Path home, PrintStream err) {
        if (home == null) return List.of();
        String text;
        try {
            text = Files.readString(home.resolve(".xe"), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        List<String[]> out = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            String line = nl < 0 ? text.substring(start) : text.substring(start, nl);
            start = nl < 0 ? text.length() : nl + 1;
            if (line.isEmpty()) continue;
            int eq = line.indexOf('=');
            if (eq < 0) {
                err.print("Error parsing rc file. No defaults loaded\n");
                err.flush();
                return List.of();
            }
            out.add(new String[] {line.substring(0, eq), line.substring(eq + 1)});
        }
        return out;
    }

    /** Line 1 is the user name, line 2 the password. */
    private void readPasswordFile() throws XeException {
        String text;
        try {
            text = Files.readString(Path.of(passwordFile), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw XeException.fail("Error opening password file '" + passwordFile + "'\n");
        }
        int nl = text.indexOf('\n');
        if (nl < 0) {
            if (!text.isEmpty()) username = text;
            throw XeException.fail("Error: password file format: expecting username on the first line, "
                    + "password on the second line\n");
        }
        username = text.substring(0, nl);
        int nl2 = text.indexOf('\n', nl + 1);
        password = nl2 < 0 ? text.substring(nl + 1) : text.substring(nl + 1, nl2);
        if (nl2 < 0 && password.isEmpty()) {
            throw XeException.fail("Error: password file format: expecting username on the first line, "
                    + "password on the second line\n");
        }
    }
}
