package org.xapijava.server.alerts;

import java.util.Map;

/**
 * One change of the message store, as {@code event.from} reports messages.
 *
 * @param ref            the message's ref
 * @param op             {@code "add"} (the message exists and was created after the generation asked
 *                       about) or {@code "del"} (it was destroyed, by an API call or by the cap)
 * @param snapshotOrNull for {@code add} the message record ({@link MessageStore#getRecord} form); for
 *                       {@code del} {@code null} from {@link MessageStore#eventsSince} (Xapi keeps only
 *                       the ref of a deletion) and the pre-deletion record when delivered to a
 *                       {@link MessageStore#subscribe} listener (Xapi's legacy {@code event.next} feed)
 * @param generation     the store generation of the change: for {@code add} the creation, for
 *                       {@code del} the deletion
 */
public record MessageEvent(String ref, String op, Map<String, Object> snapshotOrNull, long generation) {

    public static final String ADD = "add";
    public static final String DEL = "del";
}
