package org.xapijava.server.remotedb;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The database functions a pool member calls on its master ({@code Db_interface.DB_ACCESS} with string fields, as
 * {@code db_rpc_client_v1.ml} offers them): tables by class name ({@code VM}), columns by database name
 * ({@code name__label}, {@code other_config}, {@code _ref}), values in the database's string form
 * ({@link org.xapijava.model.types.DbStrings}). Implemented by the master's database ({@link MasterDbAccess}) and by
 * the member's client ({@link RemoteDbClient}), with the same results and the same {@link RemoteDbError}s.
 * Implementations are thread-safe.
 */
public interface RemoteDbAccess {

    /** The table of the row {@code ref} names, if any. */
    Optional<String> getTableFromRef(String ref);

    /** Whether {@code ref} names a row of any table. */
    boolean isValidRef(String ref);

    /** Every ref of {@code table}; {@code dbcache_notfound ["missing table", table, ""]}. */
    List<String> readRefs(String table);

    /** The {@code return} column of the rows whose {@code where_field} column is {@code where_value}. */
    List<String> readFieldWhere(WhereRecord where);

    /** The ref of the row of {@code table} with this uuid; {@code read_missing_uuid [table, "", uuid]}. */
    String dbGetByUuid(String table, String uuid);

    /** The ref of the only row of {@code table} with this uuid, if exactly one has it. */
    Optional<String> dbGetByUuidOpt(String table, String uuid);

    /** The refs of the rows of {@code table} whose {@code name__label} is {@code label}. */
    List<String> dbGetByNameLabel(String table, String label);

    /**
     * Creates row {@code ref} of {@code table} from column strings; missing columns take their datamodel defaults.
     * Creating an existing ref with equal values does nothing.
     */
    void createRow(String table, Map<String, String> columns, String ref);

    /** Deletes a row; {@code dbcache_notfound ["missing row", table, ref]}. */
    void deleteRow(String table, String ref);

    /** Writes one column from its database string. */
    void writeField(String table, String ref, String column, String value);

    /** One column's database string (note Xapi's argument order: table, column, ref). */
    String readField(String table, String column, String ref);

    /** The refs of the rows of {@code table} matching {@code expr}. */
    List<String> findRefsWithFilter(String table, DbExpr expr);

    /** A whole row. */
    DbRecord readRecord(String table, String ref);

    /** The rows of {@code table} matching {@code expr}, each with its ref. */
    List<Map.Entry<String, DbRecord>> readRecordsWhere(String table, DbExpr expr);

    /**
     * Adds or removes a set element ({@code key}) or a map pair ({@code key}, {@code value}) of one column;
     * {@code duplicate_key_of [table, column, ref, key]} when a map already holds the key with another value.
     */
    void processStructuredField(String key, String value, String table, String column, String ref, StructuredOp op);
}
