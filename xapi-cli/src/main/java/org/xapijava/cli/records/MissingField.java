package org.xapijava.cli.records;

/** A record has no field of that name ({@code CLI_failed_to_find_param}): the wire error {@code Missing parameter}. */
public final class MissingField extends RuntimeException {
    public final String field;

    public MissingField(String field) {
        super(field);
        this.field = field;
    }
}
