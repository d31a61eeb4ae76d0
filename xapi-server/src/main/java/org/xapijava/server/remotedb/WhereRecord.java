package org.xapijava.server.remotedb;

/**
 * Xapi's {@code Db_cache_types.where_record}: the {@code returnField} column of the rows of {@code table} whose
 * {@code whereField} column's database string is {@code whereValue}. Columns by database name ({@code name__label},
 * {@code _ref}).
 */
public record WhereRecord(String table, String returnField, String whereField, String whereValue) {}
