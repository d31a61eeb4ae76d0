package org.xapijava.server.ops;

import java.util.List;
import org.xapijava.model.errors.ApiError;

/**
 * The operation checker of one object, computed from one database state (a snapshot, or a
 * transaction that sees its own writes). Pure: it reads nothing else and writes nothing. Not
 * thread-safe; build one per use.
 */
interface OpChecker {
    /**
     * The error Xapi's checker gives for {@code op} on the object, or null when it is allowed.
     * {@code strict} is Xapi's flag (VM only: guest-feature and mobility checks); callers about to do
     * the operation pass true unless Xapi passes false.
     */
    ApiError check(String op, boolean strict);

    /** The object's {@code allowed_operations}, in the order Xapi writes them. */
    List<String> allowed();
}
