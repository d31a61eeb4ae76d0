package org.xapijava.server.remotedb;

import java.util.List;

/**
 * One of the database exceptions Xapi's remote database protocol carries ({@code db_exn.ml}), by its v1 wire name:
 * {@code dbcache_notfound [message, table, key]}, {@code duplicate_key_of [table, field, ref, key]},
 * {@code uniqueness_constraint_violation [table, field, value]}, {@code read_missing_uuid [table, "", uuid]},
 * {@code too_many_values [table, "", uuid]} (declared by Xapi, raised by no function at its HEAD). Thrown by the
 * master's implementation ({@link MasterDbAccess}) and, on a member, by {@link RemoteDbClient} when the master
 * answered with it. Immutable.
 */
public final class RemoteDbError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public static final String DBCACHE_NOTFOUND = "dbcache_notfound";
    public static final String DUPLICATE_KEY_OF = "duplicate_key_of";
    public static final String UNIQUENESS_CONSTRAINT_VIOLATION = "uniqueness_constraint_violation";
    public static final String READ_MISSING_UUID = "read_missing_uuid";
    public static final String TOO_MANY_VALUES = "too_many_values";

    /** Every name, with the number of parameters each carries. */
    static int arity(String name) {
        return switch (name) {
            case DUPLICATE_KEY_OF -> 4;
            case DBCACHE_NOTFOUND, UNIQUENESS_CONSTRAINT_VIOLATION, READ_MISSING_UUID, TOO_MANY_VALUES -> 3;
            default -> -1;
        };
    }

    private final String name;
    private final List<String> params;

    public RemoteDbError(String name, List<String> params) {
        super(name + " " + params, null, false, false);
        if (arity(name) != params.size()) throw new IllegalArgumentException("bad remote db error " + name + params);
        this.name = name;
        this.params = List.copyOf(params);
    }

    /** {@code DBCache_NotFound (message, table, key)}: e.g. {@code ("missing row", "VM", ref)}. */
    public static RemoteDbError notFound(String message, String table, String key) {
        return new RemoteDbError(DBCACHE_NOTFOUND, List.of(message, table, key));
    }

    /** The v1 wire name ({@code dbcache_notfound}, ...). */
    public String name() {
        return name;
    }

    /** The v2 constructor name ({@code Dbcache_notfound}, ...). */
    public String v2Name() {
        return Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }

    public List<String> params() {
        return params;
    }
}
