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

    public DbLoadException(String table, String ref, String column, String message, Throwable cause) {
        super(
                "cannot load " + (table == null ? "database" : "table " + table) + (ref == null ? "" : " row " + ref)
                        + (column == null ? "" : " column " + column) + ": " + message,
                cause);
        this.table = table;
        this.ref = ref;
        this.column = column;
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
