package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.cli.records.MissingField;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.errors.ErrorRegistry;

/**
 * A command's failure as Xapi's {@code xapi_cli.ml exception_handler} and {@code cli_util.ml server_error} print it:
 * CLI failures on stderr, XenAPI errors of the datamodel as their documentation and one {@code name: value} line per
 * parameter (references as {@code uuid (name-label)}), other codes as the protocol's {@code Error}.
 */
final class ErrorPrinter {
    private final CliConnection conn;
    private final CliHost host;

    ErrorPrinter(CliConnection conn, CliHost host) {
        this.conn = conn;
        this.host = host;
    }

    void print(RuntimeException e) {
        switch (e) {
            case CliErrors.UnknownCommand u -> usageError("Unknown command", u.getMessage());
            case CliErrors.Syntax s -> usageError("Syntax error", s.getMessage());
            case CliErrors.ParamNotFound p -> usageError("Required parameter not found", p.param);
            case CliErrors.MultipleFailure m -> {
                for (Map.Entry<String, String> f : m.failures) {
                    conn.print("operation failed on " + f.getKey() + ": " + f.getValue());
                }
            }
            case CliFailure f -> conn.printStderr("Error: " + f.getMessage() + "\n");
            case MissingField m -> serverError("Missing parameter", List.of(m.field));
            case ApiError a
            when a.code().equals("SESSION_AUTHENTICATION_FAILED") -> {
                boolean noUser = a.params().isEmpty() || a.params().get(0).isEmpty();
                usageError("", noUser ? "Username/password must be specified" : "Authentication failed");
            }
            case ApiError a -> serverError(a.code(), a.params());
            default -> serverError("INTERNAL_ERROR", List.of(String.valueOf(e)));
        }
    }

    /** Xapi's {@code param_error}: the message, then the usage hint. */
    private void usageError(String what, String detail) {
        conn.printStderr((what.isEmpty() ? detail : what + ": " + detail) + "\n");
        conn.printStderr("For usage run: 'xe help'\n");
    }

    private void serverError(String code, List<String> params) {
        List<String> shown = params.stream().map(this::refConvert).toList();
        ErrorRegistry.ErrorDef def = ErrorRegistry.get(code);
        if (def == null || def.doc() == null) {
            conn.send(new CliMessage.Error(code, shown));
            return;
        }
        conn.printStderr(def.doc() + "\n");
        for (String line : describe(code, def.params(), shown)) conn.printStderr(line + "\n");
    }

    /** Xapi's {@code Api_errors.to_string} of a server error: {@code Server_error(CODE, [ a; b ])}. */
    static String toServerError(ApiError e) {
        return "Server_error(" + e.code() + ", [ " + String.join("; ", e.params()) + " ])";
    }

    /** Xapi's {@code Cli_util.string_of_exn} of a server error: {@code CODE: [ a; b ]}. */
    static String stringOfExn(ApiError e) {
        return e.code() + ": [ " + String.join("; ", e.params()) + " ]";
    }

    /** {@code name: value} lines: extra values as {@code <extra>}, missing ones as {@code <unknown>}. */
    static List<String> describe(String code, List<String> names, List<String> values) {
        List<String> n = code.equals("VMS_FAILED_TO_COOPERATE")
                ? values.stream().map(v -> "VM").toList()
                : names;
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.max(n.size(), values.size()); i++) {
            String name = i < n.size() ? n.get(i) : "<extra>";
            String value = i < values.size() ? values.get(i) : "<unknown>";
            out.add(name + ": " + value);
        }
        return out;
    }

    private String refConvert(String s) {
        return refConvert(host, s);
    }

    /** Xapi's {@code Cli_util.ref_convert}: a known reference as {@code uuid (name-label)}, anything else as is. */
    static String refConvert(CliHost host, String s) {
        if (!s.startsWith("OpaqueRef:")) return s;
        CliHost.RefInfo r = host.lookupRef(s);
        if (r == null) return s;
        return r.nameLabel() == null ? r.uuid() : r.uuid() + " (" + r.nameLabel() + ")";
    }
}
