package org.xapijava.cli.records;

import java.util.Map;
import org.xapijava.model.client.XenApi;

/** What records need beyond their own fields: references' uuids and names, other objects' records, the API. */
public interface Resolver {
    /** The uuid of the object {@code ref} names, or null when it names none. */
    String uuidOf(String ref);

    /** The name-label of the object {@code ref} names, or null when it has none or names none. */
    String nameOf(String ref);

    /** The record of the object {@code ref} of class {@code cls} (unmarshalled), fetched at most once per command. */
    Map<String, Object> record(String cls, String ref);

    /** The XenAPI bound to the command's session. */
    XenApi api();
}
