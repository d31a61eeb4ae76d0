package org.xapijava.server.event;

import org.xapijava.model.errors.ApiError;

/**
 * One element of the {@code classes} argument of {@code event.from}, {@code event.register} and
 * {@code event.unregister} (Xapi's {@code Xapi_event.Subscription}).
 *
 * <p>{@code "*"} selects everything; {@code "<class>"} one class; {@code "<class>/<ref>"} one object
 * (the text after the first {@code /}, which may itself contain {@code /}). Class names are compared
 * after ASCII lower-casing; refs exactly. Class names are not checked against the datamodel: an
 * unknown class simply never matches.
 */
public sealed interface Subscription {

    /** {@code "*"}. */
    record All() implements Subscription {}

    /** {@code "<class>"}, the class lower-cased. */
    record OfClass(String cls) implements Subscription {}

    /** {@code "<class>/<ref>"}, the class lower-cased, the ref as given. */
    record OfObject(String cls, String ref) implements Subscription {}

    /**
     * Parses one subscription string. Xapi splits at most once on {@code /}, so every string parses:
     * its {@code EVENT_SUBSCRIPTION_PARSE_FAILURE [s]} branch is unreachable, and here only a null
     * string (which the RPC layer never produces) raises it.
     */
    static Subscription parse(String s) {
        if (s == null) throw new ApiError("EVENT_SUBSCRIPTION_PARSE_FAILURE", "");
        if (s.equals("*")) return new All();
        int slash = s.indexOf('/');
        if (slash < 0) return new OfClass(asciiLower(s));
        return new OfObject(asciiLower(s.substring(0, slash)), s.substring(slash + 1));
    }

    /** Whether this subscription may select objects of the table {@code lowerTable} (lower-case). */
    default boolean coversTable(String lowerTable) {
        return switch (this) {
            case All a -> true;
            case OfClass c -> c.cls().equals(lowerTable);
            case OfObject o -> o.cls().equals(lowerTable);
        };
    }

    /** Whether this subscription selects the object {@code ref} of class {@code lowerCls} (lower-case). */
    default boolean matches(String lowerCls, String ref) {
        return switch (this) {
            case All a -> true;
            case OfClass c -> c.cls().equals(lowerCls);
            case OfObject o -> o.cls().equals(lowerCls) && o.ref().equals(ref);
        };
    }

    /** Xapi's {@code is_task_only}: the subscription names the {@code task} class or a task object. */
    default boolean taskOnly() {
        return switch (this) {
            case All a -> false;
            case OfClass c -> c.cls().equals("task");
            case OfObject o -> o.cls().equals("task");
        };
    }

    /** The lower-cased class this subscription is about, or null for {@link All}. */
    default String lowerClass() {
        return switch (this) {
            case All a -> null;
            case OfClass c -> c.cls();
            case OfObject o -> o.cls();
        };
    }

    /** OCaml's {@code String.lowercase_ascii}: only {@code A-Z} change. */
    static String asciiLower(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                char[] a = s.toCharArray();
                for (int j = i; j < a.length; j++) {
                    if (a[j] >= 'A' && a[j] <= 'Z') a[j] = (char) (a[j] + ('a' - 'A'));
                }
                return new String(a);
            }
        }
        return s;
    }

    /** Whether any of {@code subs} selects the object. */
    static boolean anyMatches(Iterable<Subscription> subs, String lowerCls, String ref) {
        for (Subscription s : subs) if (s.matches(lowerCls, ref)) return true;
        return false;
    }

    /** Whether any of {@code subs} may select objects of the table. */
    static boolean anyCovers(Iterable<Subscription> subs, String lowerTable) {
        for (Subscription s : subs) if (s.coversTable(lowerTable)) return true;
        return false;
    }
}
