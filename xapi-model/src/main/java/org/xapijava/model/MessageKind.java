package org.xapijava.model;

/** What a message is: an explicit one with its own implementation, or one of the implicit kinds. */
public enum MessageKind {
    EXPLICIT,
    GET_FIELD,
    SET_FIELD,
    ADD_TO_MAP,
    REMOVE_FROM_MAP,
    ADD_TO_SET,
    REMOVE_FROM_SET,
    GET_RECORD,
    GET_ALL,
    GET_ALL_RECORDS,
    GET_ALL_RECORDS_WHERE,
    GET_ALL_WHERE,
    GET_BY_UUID,
    GET_BY_NAME_LABEL,
    CREATE,
    DESTROY
}
