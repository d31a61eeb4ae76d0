package org.xapijava.db;

/**
 * A database image or replayed delta that cannot be loaded: names the table, row and column at fault
 * (any may be null when not applicable). Nothing is half-loaded when it is thrown.
 */
public final class DbLoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String table;
    private final String ref;
    private final String column;
    private final boolean repairable;

    public DbLoadException(String table, String ref, String column, String message, Throwable cause) {
        this(table, ref, column, message, cause, false);
    }

    /** @param repairable whether {@link DbRepair} can replace the value at fault */
    DbLoadException(String table, String ref, String column, String message, Throwable cause, boolean repairable) {
        super(
                "cannot load " + (table == null ? "database" : "table " + table) + (ref == null ? "" : " row " + ref)
                        + (column == null ? "" : " column " + column) + ": " + message,
                cause);
        this.table = table;
        this.ref = ref;
        this.column = column;
        this.repairable = repairable;
    }

    /** Whether the fault is a value {@link DbRepair} can replace (see {@link ValueCheck#repair}). */
    public boolean repairable() {
        return repairable;
    }

    public String table() {
        return table;
    }

    public String ref() {
        return ref;
    }

    public String column() {
        return column;
    }
}
