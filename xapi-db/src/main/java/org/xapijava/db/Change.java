package org.xapijava.db;

/**
 * One event of the change feed ({@code event.from} semantics, reference §6.3).
 *
 * @param cls the class (table) name, datamodel spelling
 * @param ref the object
 * @param op  what happened since the token
 * @param id  the generation of the change: created (add), modified (mod) or deleted (del)
 */
public record Change(String cls, String ref, Op op, long id) {
    public enum Op {
        ADD,
        MOD,
        DEL
    }
}
