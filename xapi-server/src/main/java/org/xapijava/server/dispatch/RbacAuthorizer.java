package org.xapijava.server.dispatch;

import java.util.List;
import org.xapijava.model.MessageDef;
import org.xapijava.model.MessageKind;
import org.xapijava.model.ParamDef;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.session.SessionInfo;

/**
 * Xapi's {@code rbac.ml:check}: the caller's {@code rbac_permissions} must hold the message's
 * permission (with the map-key refinement for {@code key} arguments). Local superusers, pool and
 * local sessions never get here (the dispatcher lets them through).
 */
public final class RbacAuthorizer implements Authorizer {
    private final Rbac rbac;

    public RbacAuthorizer(Rbac rbac) {
        this.rbac = rbac;
    }

    @Override
    public void check(SessionInfo session, MessageDef m, List<Object> args) {
        String perm = rbac.permissionFor(m, keyArg(m, args));
        if (session.permissions().contains(perm)) return;
        if (m.kind() == MessageKind.GET_ALL_RECORDS_WHERE && rbac.rolesWith(perm).isEmpty()) {
            // synthesized hidden message (absent from the published datamodel): the roles of get_all_records
            for (String role : m.roles()) if (session.permissions().contains(role)) return;
        }
        throw rbac.denied(perm);
    }

    @Override
    public void checkPermission(SessionInfo session, String permission) {
        String p = permission.toLowerCase(java.util.Locale.ROOT);
        if (!session.permissions().contains(p)) throw rbac.denied(p);
    }

    private static String keyArg(MessageDef m, List<Object> args) {
        if (m.mapKeyRoles().isEmpty()) return null;
        List<ParamDef> ps = m.callParams();
        for (int i = 0; i < ps.size() && i < args.size(); i++) {
            if (ps.get(i).name().equals("key") && args.get(i) instanceof String s) return s;
        }
        return null;
    }
}
