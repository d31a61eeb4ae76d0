package org.xapijava.server.api;

import java.util.ArrayList;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.session.SessionManager;

/** {@code session.*} (xapi_session.ml). */
public final class SessionApi implements ApiModule {
    private final SessionManager sessions;

    public SessionApi(SessionManager sessions) {
        this.sessions = sessions;
    }

    @Override
    public void register(MessageTable t) {
        t.bind(
                "session.login_with_password",
                (ctx, a) -> sessions.loginWithPassword(
                        ctx.caller(), (String) a.get(0), (String) a.get(1), (String) a.get(3), null));
        t.bind("session.logout", (ctx, a) -> {
            sessions.logout(ctx.sessionRef());
            return null;
        });
        t.bind("session.local_logout", (ctx, a) -> {
            sessions.localLogout(ctx.sessionRef());
            return null;
        });
        t.bind("session.slave_login", (ctx, a) -> sessions.slaveLogin((String) a.get(0), (String) a.get(1)));
        t.bind("session.slave_local_login", (ctx, a) -> sessions.slaveLocalLogin((String) a.get(0)));
        t.bind(
                "session.slave_local_login_with_password",
                (ctx, a) -> sessions.slaveLocalLoginWithPassword(ctx.caller(), (String) a.get(0), (String) a.get(1)));
        t.bind("session.change_password", (ctx, a) -> {
            sessions.changePassword(ctx.session(), (String) a.get(0), (String) a.get(1));
            return null;
        });
        t.bind("session.get_all_subject_identifiers", (ctx, a) -> new ArrayList<>(sessions.allSubjectIdentifiers()));
        t.bind("session.logout_subject_identifier", (ctx, a) -> {
            sessions.logoutSubjectIdentifier(ctx.sessionRef(), (String) a.get(0));
            return null;
        });
    }
}
