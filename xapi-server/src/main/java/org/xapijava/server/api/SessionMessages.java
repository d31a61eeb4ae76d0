package org.xapijava.server.api;

import java.util.ArrayList;
import java.util.List;
import org.xapijava.server.api.gen.SessionApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.session.SessionManager;

/** {@code session.*} (xapi_session.ml). */
public final class SessionMessages implements SessionApi, Messages {
    private final SessionManager sessions;
    private final Runnable afterPasswordChange;

    public SessionMessages(SessionManager sessions) {
        this(sessions, () -> {});
    }

    /**
     * @param afterPasswordChange run after each successful {@code session.change_password} (on a pool's master: the
     *                            other hosts asked to sync root's password, Xapi's {@code request_config_file_sync})
     */
    public SessionMessages(SessionManager sessions, Runnable afterPasswordChange) {
        this.sessions = sessions;
        this.afterPasswordChange = afterPasswordChange;
    }

    @Override
    public void bind(MessageTable table) {
        SessionApi.bind(table, this);
    }

    @Override
    public String loginWithPassword(CallContext ctx, String uname, String pwd, String version, String originator) {
        return sessions.loginWithPassword(ctx.caller(), uname, pwd, originator, null);
    }

    @Override
    public void logout(CallContext ctx) {
        sessions.logout(ctx.sessionRef());
    }

    @Override
    public void localLogout(CallContext ctx) {
        sessions.localLogout(ctx.sessionRef());
    }

    @Override
    public String slaveLogin(CallContext ctx, String host, String psecret) {
        return sessions.slaveLogin(host, psecret);
    }

    @Override
    public String slaveLocalLogin(CallContext ctx, String psecret) {
        return sessions.slaveLocalLogin(psecret);
    }

    @Override
    public String slaveLocalLoginWithPassword(CallContext ctx, String uname, String pwd) {
        return sessions.slaveLocalLoginWithPassword(ctx.caller(), uname, pwd);
    }

    @Override
    public void changePassword(CallContext ctx, String oldPwd, String newPwd) {
        sessions.changePassword(ctx.session(), oldPwd, newPwd);
        afterPasswordChange.run();
    }

    @Override
    public List<String> getAllSubjectIdentifiers(CallContext ctx) {
        return new ArrayList<>(sessions.allSubjectIdentifiers());
    }

    @Override
    public void logoutSubjectIdentifier(CallContext ctx, String subjectIdentifier) {
        sessions.logoutSubjectIdentifier(ctx.sessionRef(), subjectIdentifier);
    }
}
