package org.xapijava.model.errors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every XenAPI error code with its documented parameter names: the 605 of Xapi's datamodel plus the
 * codes Xapi defines without documentation. Loaded once from {@code errors.json}; thread-safe.
 */
public final class ErrorRegistry {
    public static final String RESOURCE = "/org/xapijava/model/errors.json";

    /** One error code, its parameter names and its documentation (null for the codes Xapi leaves undocumented). */
    public record ErrorDef(String name, List<String> params, String doc) {}

    private static final Map<String, ErrorDef> ALL = load();

    private ErrorRegistry() {}

    private static Map<String, ErrorDef> load() {
        try (InputStream in = ErrorRegistry.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + RESOURCE);
            Map<String, ErrorDef> m = new LinkedHashMap<>();
            for (JsonNode e : new ObjectMapper().readTree(in)) {
                List<String> ps = new ArrayList<>();
                for (JsonNode p : e.path("params")) ps.add(p.asText());
                m.put(
                        e.path("name").asText(),
                        new ErrorDef(
                                e.path("name").asText(),
                                List.copyOf(ps),
                                e.has("doc") ? e.path("doc").asText() : null));
            }
            return Collections.unmodifiableMap(m);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ErrorDef get(String code) {
        return ALL.get(code);
    }

    public static boolean isKnown(String code) {
        return ALL.containsKey(code);
    }

    public static Map<String, ErrorDef> all() {
        return ALL;
    }
}
