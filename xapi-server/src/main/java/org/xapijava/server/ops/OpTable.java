package org.xapijava.server.ops;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.model.errors.ApiError;

/**
 * Xapi's per-class table of operation → first error ({@code valid_operations} in the VBD, VIF, SR
 * and host helpers): every operation starts allowed, and {@link #refuse} records an error only for
 * operations that have none yet, so the first rule that refuses wins. Not thread-safe.
 */
final class OpTable {
    private final List<String> ops;
    private final Map<String, ApiError> errors = new LinkedHashMap<>();

    /** A table of {@code ops}, all allowed. */
    OpTable(List<String> ops) {
        this.ops = List.copyOf(ops);
    }

    /** Refuses each of {@code which} (those in the table and still allowed) with {@code code [params]}. */
    void refuse(List<String> which, String code, String... params) {
        ApiError e = null;
        for (String op : which) {
            if (!ops.contains(op) || errors.containsKey(op)) continue;
            if (e == null) e = new ApiError(code, params);
            errors.put(op, e);
        }
    }

    /**
     * Refuses every operation with {@code OTHER_OPERATION_IN_PROGRESS [cls, ref, {ops}, {tasks}]} when
     * {@code current} (the object's {@code current_operations}) is not empty: Xapi folds the pairs onto list heads,
     * so both lists come out reversed, always in braces.
     */
    void refuseWhileInProgress(String cls, String ref, Map<String, String> current) {
        if (current.isEmpty()) return;
        List<String> tasks = new ArrayList<>();
        List<String> running = new ArrayList<>();
        current.forEach((task, op) -> {
            tasks.addFirst(task);
            running.addFirst(op);
        });
        refuse(
                ops,
                org.xapijava.model.api.ErrorCodes.OTHER_OPERATION_IN_PROGRESS,
                cls,
                ref,
                "{" + String.join("; ", running) + "}",
                "{" + String.join("; ", tasks) + "}");
    }

    /** The error recorded for {@code op}, or null. */
    ApiError error(String op) {
        return errors.get(op);
    }

    /** Every operation of the table. */
    List<String> ops() {
        return ops;
    }

    /** The allowed operations, in {@code order} (which lists the table's operations). */
    List<String> allowedIn(List<String> order) {
        List<String> out = new ArrayList<>();
        for (String op : order) if (ops.contains(op) && !errors.containsKey(op)) out.add(op);
        return out;
    }

    /**
     * This table as the checker of its object: {@code check} gives the recorded error (Xapi's
     * {@code strict} flag plays no part), {@code allowed} the allowed operations in {@code foldOrder}.
     */
    OpChecker checker(List<String> foldOrder) {
        return new OpChecker() {
            @Override
            public ApiError check(String op, boolean strict) {
                return error(op);
            }

            @Override
            public List<String> allowed() {
                return allowedIn(foldOrder);
            }
        };
    }
}
