package org.xapijava.server;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.xapijava.db.Database;
import org.xapijava.model.types.Refs;
import org.xapijava.server.auth.AuthenticationFailure;
import org.xapijava.server.auth.Authenticator;
import org.xapijava.server.config.XapiConfig;

/** Start-up glue: first-start objects and the authenticator chosen by the configuration. */
final class Bootstrap {
    private Bootstrap() {}

    static XapiServer.HostRefs run(Database db, XapiConfig config) {
        var s = db.snapshot();
        if (!s.getAll("host").isEmpty()) {
            return new XapiServer.HostRefs(s.getAll("host").get(0), s.getAll("pool").get(0));
        }
        String host = Refs.fresh();
        String pool = Refs.fresh();
        db.transact(tx -> {
            Map<String, Object> h = new HashMap<>();
            h.put("uuid", UUID.randomUUID().toString());
            h.put("name_label", "interim");
            h.put("API_version_major", 2L);
            h.put("API_version_minor", 21L);
            tx.create("host", host, h);
            Map<String, Object> p = new HashMap<>();
            p.put("uuid", UUID.randomUUID().toString());
            p.put("master", host);
            tx.create("pool", pool, p);
        });
        return new XapiServer.HostRefs(host, pool);
    }

    static Authenticator authenticator(XapiConfig config) {
        return new Authenticator() {
            @Override
            public void authenticate(String user, String password) throws AuthenticationFailure {
                if (!("root".equals(user) && "interim".equals(password))) throw new AuthenticationFailure("Authentication failure");
            }

            @Override
            public void changePassword(String user, String oldPassword, String newPassword) throws AuthenticationFailure {
                throw new AuthenticationFailure("not supported");
            }
        };
    }

    static String rootPassword(XapiConfig config) {
        return "interim";
    }
}
