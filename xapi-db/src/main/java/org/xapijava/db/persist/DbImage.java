package org.xapijava.db.persist;

/**
 * A read-only, consistent view of a whole database, as the {@code state.db} writer walks it. Values are
 * in database string form. Implementations are snapshots: they do not change while being written.
 */
public interface DbImage {
    /** The generation count written in the manifest and the {@code .generation} file. */
    long generation();

    int schemaMajor();

    int schemaMinor();

    /** Every table, persistent or not, in any order (the writer sorts by name). */
    Iterable<? extends TableImage> tables();

    interface TableImage {
        String name();

        /** Non-persistent tables are written as an empty {@code <table name="X"/>}. */
        boolean persistent();

        /** Rows in any order (the writer sorts by ref). */
        Iterable<? extends RowImage> rows();
    }

    interface RowImage {
        String ref();

        long created();

        long modified();

        /**
         * Calls {@code sink} for every persistent column of the row with its database string, in any order
         * (the writer adds {@code _ref} itself and sorts column names).
         */
        void columns(ColumnSink sink);
    }

    @FunctionalInterface
    interface ColumnSink {
        void column(String name, String value);
    }
}
