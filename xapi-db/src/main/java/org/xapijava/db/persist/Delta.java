package org.xapijava.db.persist;

import java.util.Map;

/**
 * One change to a persistent table, in database string form (see
 * {@link org.xapijava.model.types.DbStrings}); what the redo log records and replays. Only persistent
 * tables and columns appear in deltas. Column names are database column names ({@code name__label}).
 */
public sealed interface Delta {
    String table();

    String ref();

    /** A new row with all its persistent columns except {@code _ref} (which is {@link #ref()}). */
    record CreateRow(String table, String ref, Map<String, String> columns) implements Delta {
        public CreateRow {
            columns = Map.copyOf(columns);
        }
    }

    record DeleteRow(String table, String ref) implements Delta {}

    record WriteField(String table, String ref, String column, String value) implements Delta {}
}
