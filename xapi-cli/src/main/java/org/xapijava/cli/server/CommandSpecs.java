package org.xapijava.cli.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The static xe command table (Xapi's {@code cmdtable_data}), read once from the resource {@code commands.txt}
 * next to this class; its header comment gives the format. Thread-safe: the table is parsed once, on first use,
 * and immutable afterwards.
 */
public final class CommandSpecs {

    /** The resource's name, next to this class. */
    static final String RESOURCE = "commands.txt";

    private CommandSpecs() {}

    /** The parsed resource: by name, and in Xapi's order. */
    private record Table(Map<String, CommandSpec> byName, List<CommandSpec> all) {}

    /** Set once, under the class's lock; read without it afterwards. */
    private static volatile Table table;

    private static Table table() {
        Table t = table;
        if (t == null) {
            synchronized (CommandSpecs.class) {
                t = table;
                if (t == null) {
                    t = load();
                    table = t;
                }
            }
        }
        return t;
    }

    /** Reads the resource; a malformed one throws every time it is asked for, naming its first bad line. */
    private static Table load() {
        try (InputStream in = CommandSpecs.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + RESOURCE);
            Map<String, CommandSpec> byName = index(parse(new InputStreamReader(in, StandardCharsets.UTF_8), RESOURCE));
            return new Table(byName, List.copyOf(byName.values()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every static command, in Xapi's order (an unmodifiable list). */
    public static List<CommandSpec> all() {
        return table().all();
    }

    /** The static command of that exact name. */
    public static Optional<CommandSpec> get(String name) {
        return Optional.ofNullable(table().byName().get(name));
    }

    private static Map<String, CommandSpec> index(List<CommandSpec> specs) {
        Map<String, CommandSpec> byName = new LinkedHashMap<>();
        for (CommandSpec s : specs) {
            if (byName.putIfAbsent(s.name(), s) != null) {
                throw new IllegalStateException(RESOURCE + ": command " + s.name() + " appears twice");
            }
        }
        return Collections.unmodifiableMap(byName);
    }

    /**
     * Parses a table in the format of {@code commands.txt}.
     *
     * @param source names the text in error messages
     * @throws IllegalArgumentException naming the source and line of the first malformed line
     */
    static List<CommandSpec> parse(Reader text, String source) throws IOException {
        BufferedReader in = new BufferedReader(text);
        List<CommandSpec> specs = new ArrayList<>();
        Lines lines = new Lines(in, source);
        String line;
        while ((line = lines.next()) != null) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            String name = lines.value(line, "command");
            if (name.isEmpty()) throw lines.bad("a command without a name");
            List<String> reqd = params(lines, lines.value(lines.require(), "reqd"));
            List<String> optn = params(lines, lines.value(lines.require(), "optn"));
            ImplKind impl = impl(lines, lines.value(lines.require(), "impl"));
            String flagText = lines.value(lines.require(), "flags");
            int flagsLine = lines.number;
            String help = unescape(lines, lines.value(lines.require(), "help"));
            EnumSet<CommandFlag> flags = EnumSet.noneOf(CommandFlag.class);
            String deprecation = flags(lines, flagsLine, flagText, flags);
            specs.add(new CommandSpec(name, reqd, optn, help, flags, deprecation, impl));
        }
        return specs;
    }

    /** The lines of a table, numbered from 1, and the errors that name them. */
    private static final class Lines {
        private final BufferedReader in;
        private final String source;
        int number;

        Lines(BufferedReader in, String source) {
            this.in = in;
            this.source = source;
        }

        String next() throws IOException {
            String line = in.readLine();
            if (line != null) number++;
            return line;
        }

        String require() throws IOException {
            String line = next();
            if (line == null) throw bad("the table ends inside a command");
            return line;
        }

        /** The value after {@code keyword} and one space, or "" when the line is the keyword alone. */
        String value(String line, String keyword) {
            if (line.equals(keyword)) return "";
            if (line.startsWith(keyword + " ")) return line.substring(keyword.length() + 1);
            throw bad("expected '" + keyword + "', found '" + line + "'");
        }

        IllegalArgumentException bad(String what) {
            return bad(number, what);
        }

        IllegalArgumentException bad(int line, String what) {
            return new IllegalArgumentException(source + " line " + line + ": " + what);
        }
    }

    private static List<String> params(Lines lines, String text) {
        if (text.isEmpty()) return List.of();
        List<String> out = new ArrayList<>();
        for (String p : text.split(", ", -1)) {
            if (p.equals("\"\"")) {
                out.add("");
            } else if (p.isEmpty()
                    || p.contains(",")
                    || p.contains("\"")
                    || !p.strip().equals(p)) {
                throw lines.bad("malformed parameter list '" + text + "'");
            } else {
                out.add(p);
            }
        }
        return out;
    }

    private static ImplKind impl(Lines lines, String text) {
        for (ImplKind k : ImplKind.values()) {
            if (k.xapiName().equals(text)) return k;
        }
        throw lines.bad("unknown implementation kind '" + text + "'");
    }

    /** Adds the flags of {@code text} to {@code flags}; answers the deprecation message, or null. */
    private static String flags(Lines lines, int line, String text, Set<CommandFlag> flags) {
        String deprecation = null;
        int i = 0;
        while (i < text.length()) {
            int end;
            String word;
            String message = null;
            if (text.startsWith("Deprecated(", i)) {
                int close = text.indexOf(')', i);
                if (close < 0) throw lines.bad(line, "unclosed Deprecated( in '" + text + "'");
                word = "Deprecated";
                message = text.substring(i + "Deprecated(".length(), close);
                end = close + 1;
            } else {
                end = text.indexOf(' ', i);
                if (end < 0) end = text.length();
                word = text.substring(i, end);
            }
            CommandFlag flag = Arrays.stream(CommandFlag.values())
                    .filter(f -> f.xapiName().equals(word))
                    .findFirst()
                    .orElseThrow(() -> lines.bad(line, "unknown flag '" + word + "'"));
            if (!flags.add(flag)) throw lines.bad(line, "flag " + word + " given twice");
            if (message != null) deprecation = message;
            if (end < text.length()) {
                if (text.charAt(end) != ' ' || end + 1 == text.length()) {
                    throw lines.bad(line, "malformed flags '" + text + "'");
                }
                end++;
            }
            i = end;
        }
        return deprecation;
    }

    private static String unescape(Lines lines, String text) {
        if (text.indexOf('\\') < 0) return text;
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (++i == text.length()) throw lines.bad("a help text ending in a lone backslash");
            switch (text.charAt(i)) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case '\\' -> out.append('\\');
                default -> throw lines.bad("unknown escape \\" + text.charAt(i) + " in the help text");
            }
        }
        return out.toString();
    }
}
