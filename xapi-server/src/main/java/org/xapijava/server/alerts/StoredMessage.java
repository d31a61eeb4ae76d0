package org.xapijava.server.alerts;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.xapijava.model.types.DateTime;

/**
 * One message as the store keeps it: the API fields, the generation it was written at, and the file
 * holding it. Immutable; {@link #record()} is built once and shared by every reader.
 */
final class StoredMessage {
    final String ref;
    final String uuid;
    final String name;
    final long priority;
    final String cls;
    final String objUuid;
    final DateTime timestamp;
    final String body;
    final long generation;
    /** The file name under the store directory (Xapi: the creation time, {@code %.5f} seconds). */
    final String fileName;
    /** {@link #fileName} in units of 10 µs, the resolution of the name; orders eviction and {@code get_since}. */
    final long fileKey;

    private final Map<String, Object> record;

    StoredMessage(
            String ref,
            String uuid,
            String name,
            long priority,
            String cls,
            String objUuid,
            DateTime timestamp,
            String body,
            long generation,
            String fileName,
            long fileKey) {
        this.ref = ref;
        this.uuid = uuid;
        this.name = name;
        this.priority = priority;
        this.cls = cls;
        this.objUuid = objUuid;
        this.timestamp = timestamp;
        this.body = body;
        this.generation = generation;
        this.fileName = fileName;
        this.fileKey = fileKey;
        Map<String, Object> r = new LinkedHashMap<>(10);
        // Datamodel field order of class message.
        r.put("uuid", uuid);
        r.put("name", name);
        r.put("priority", priority);
        r.put("cls", cls);
        r.put("obj_uuid", objUuid);
        r.put("timestamp", timestamp);
        r.put("body", body);
        this.record = Collections.unmodifiableMap(r);
    }

    /** This message under another file (its name taken meanwhile): key {@code k}, named for it. */
    StoredMessage withFileKey(long k) {
        return new StoredMessage(
                ref, uuid, name, priority, cls, objUuid, timestamp, body, generation, MessageFileKeys.fileName(k), k);
    }

    /** The API record: field name → String, Long ({@code priority}) or DateTime ({@code timestamp}). */
    Map<String, Object> record() {
        return record;
    }

    /**
     * The value of a field as {@code get_all_records_where} compares it (Xapi's {@code eval_val}):
     * priority in decimal, timestamp as {@code YYYYMMDDTHH:MM:SSZ}.
     *
     * @throws IllegalArgumentException for a name that is not a field of the message record
     */
    String column(String field) {
        return switch (field) {
            case "name" -> name;
            case "uuid" -> uuid;
            case "priority" -> Long.toString(priority);
            case "cls" -> cls;
            case "obj_uuid" -> objUuid;
            case "timestamp" -> timestamp.toString();
            case "body" -> body;
            default -> throw new IllegalArgumentException("missing field " + field);
        };
    }
}
