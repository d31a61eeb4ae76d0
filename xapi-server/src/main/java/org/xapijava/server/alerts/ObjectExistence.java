package org.xapijava.server.alerts;

import java.util.Objects;
import org.xapijava.db.Database;

/**
 * Whether the object a message is about exists: Xapi's {@code check_uuid} in {@code xapi_message.ml},
 * used by {@code message.create} and {@code message.get}.
 *
 * <p>{@code cls} is a value of the datamodel enum {@code cls} in its canonical spelling ({@code VM},
 * {@code Host}, {@code SR}, {@code Pool}, {@code VMPP}, {@code VMSS}, {@code PVS_proxy}, {@code VDI},
 * {@code Certificate}), not a datamodel class name. Implementations must be thread-safe and quick; an
 * exception they throw counts as "does not exist", as in Xapi.
 */
@FunctionalInterface
public interface ObjectExistence {

    /** True when an object of kind {@code cls} with this uuid exists. */
    boolean exists(String cls, String objUuid);

    /**
     * The lookup Xapi does: {@code get_by_uuid} on the class the enum value names ({@code Host} is
     * class {@code host}, {@code Pool} is {@code pool}; the other values are spelled like their class).
     */
    static ObjectExistence inDatabase(Database db) {
        Objects.requireNonNull(db);
        return (cls, objUuid) -> {
            try {
                db.getByUuid(classOf(cls), objUuid);
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        };
    }

    /** The datamodel class of a {@code cls} enum value. */
    static String classOf(String cls) {
        return switch (cls) {
            case "Host" -> "host";
            case "Pool" -> "pool";
            default -> cls;
        };
    }
}
