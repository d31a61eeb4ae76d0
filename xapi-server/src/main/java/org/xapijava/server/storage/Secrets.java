package org.xapijava.server.storage;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.model.api.Secret;

/**
 * The passwords of a {@code device_config} (or {@code sm_config}) as Xapi's {@code xapi_secret.ml} keeps them: a key
 * ending in {@code password_secret} holds the uuid of a {@code secret} object. A PBD made from a configuration gets
 * copies of its secrets, so that each PBD owns its own; forgetting a PBD or an SR destroys them.
 */
public final class Secrets {
    private static final String SUFFIX = "password_secret";

    private Secrets() {}

    /**
     * {@code duplicate_passwds}: {@code config} with every {@code *password_secret} value replaced by the uuid of a
     * new secret holding the same value.
     *
     * @throws org.xapijava.model.errors.ApiError {@code UUID_INVALID [secret, uuid]} for a secret that does not exist
     */
    static Map<String, String> duplicate(Db data, Map<String, String> config) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : config.entrySet()) {
            if (!e.getKey().endsWith(SUFFIX)) {
                out.put(e.getKey(), e.getValue());
                continue;
            }
            String secret = data.byUuid(Secret.XAPI_CLASS, e.getValue());
            String uuid = UUID.randomUUID().toString();
            data.create(FieldValues.of(Secret.XAPI_CLASS)
                    .with(Secret.UUID, uuid)
                    .with(Secret.VALUE, data.get(secret, Secret.VALUE))
                    .with(Secret.OTHER_CONFIG, Map.of()));
            out.put(e.getKey(), uuid);
        }
        return out;
    }

    /** {@code clean_out_passwds}: destroys the secrets {@code config} names; ones already gone are ignored. */
    public static void cleanOut(Db data, Map<String, String> config) {
        for (Map.Entry<String, String> e : config.entrySet()) {
            if (!e.getKey().endsWith(SUFFIX)) continue;
            data.findByUuid(Secret.XAPI_CLASS, e.getValue()).ifPresent(s -> {
                try {
                    data.delete(Secret.XAPI_CLASS, s);
                } catch (org.xapijava.model.errors.ApiError gone) {
                    // destroyed meanwhile: nothing left to clean
                }
            });
        }
    }
}
