package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.xapijava.cli.records.CliFailure;

/**
 * A command's parameters as Xapi keeps them: an ordered list of {@code key=value} pairs, duplicates kept, a
 * lookup taking the first occurrence. Immutable.
 */
public final class Params {
    /** The parameters every command understands and no filter ever sees ({@code Cli_operations.stdparams}). */
    public static final List<String> STANDARD = List.of(
            "server",
            "password",
            "port",
            "username",
            "minimal",
            "force",
            "multiple",
            "all",
            "message-priority",
            "trace");

    private final List<Map.Entry<String, String>> entries;

    public Params(List<Map.Entry<String, String>> entries) {
        this.entries = List.copyOf(entries);
    }

    public List<Map.Entry<String, String>> entries() {
        return entries;
    }

    public Optional<String> opt(String key) {
        for (Map.Entry<String, String> e : entries) {
            if (e.getKey().equals(key)) return Optional.of(e.getValue());
        }
        return Optional.empty();
    }

    public boolean has(String key) {
        return opt(key).isPresent();
    }

    /** A required parameter: the command table checked it is there. */
    public String get(String key) {
        return opt(key).orElseThrow(() -> new CliErrors.ParamNotFound(key));
    }

    public String getOr(String key, String dflt) {
        return opt(key).orElse(dflt);
    }

    /**
     * A boolean as the commands read theirs ({@code get_bool_param}): {@code true t yes y 1} and {@code false f no n
     * 0}, ignoring case; anything else is a CLI failure.
     */
    public boolean bool(String key, boolean dflt) {
        Optional<String> v = opt(key);
        if (v.isEmpty()) return dflt;
        return parseBool(key, v.get());
    }

    static boolean parseBool(String key, String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "t", "yes", "y", "1" -> true;
            case "false", "f", "no", "n", "0" -> false;
            default ->
                throw new CliFailure("Failed to parse parameter '" + key
                        + "': Expected 'true','t','yes','y','1','false','f','no','n','0' got " + v);
        };
    }

    /**
     * Xapi's {@code read_map_params}: the parameters whose key starts with {@code name} and one more character
     * ({@code device-config:server}, the legacy {@code device-config-server}), that prefix stripped.
     */
    public List<Map.Entry<String, String>> map(String name) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (Map.Entry<String, String> e : entries) {
            String k = e.getKey();
            if (k.startsWith(name) && k.length() > name.length() + 1) {
                out.add(Map.entry(k.substring(name.length() + 1), e.getValue()));
            }
        }
        return out;
    }

    /** {@link #map(String)} as a map (a later key replaces an earlier one). */
    public Map<String, String> mapOf(String name) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, String> e : map(name)) out.put(e.getKey(), e.getValue());
        return out;
    }

    /** These parameters without {@code key} (every occurrence). */
    public Params without(String key) {
        return new Params(entries.stream().filter(e -> !e.getKey().equals(key)).toList());
    }
}
