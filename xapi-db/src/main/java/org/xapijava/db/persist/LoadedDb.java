package org.xapijava.db.persist;

import java.util.List;
import java.util.Map;

/**
 * What a {@code state.db} file holds, as read: manifest and rows with columns in database string form.
 * The database turns it into typed tables (adding defaults for missing columns, resetting
 * non-persistent ones, rebuilding back-pointers).
 *
 * @param generation   the manifest's {@code generation_count}
 * @param schemaMajor  {@code schema_major_vsn}
 * @param schemaMinor  {@code schema_minor_vsn}
 * @param tables       table name → rows, in file order
 */
public record LoadedDb(long generation, int schemaMajor, int schemaMinor, Map<String, List<LoadedRow>> tables) {

    /** One row: its ref, creation and modification generations, and its columns (without {@code _ref}). */
    public record LoadedRow(String ref, long created, long modified, Map<String, String> columns) {}
}
