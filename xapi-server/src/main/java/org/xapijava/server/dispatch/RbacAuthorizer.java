package org.xapijava.server.dispatch;

import java.util.List;
import java.util.Map;
import org.xapijava.db.Database;
import org.xapijava.model.ClassDef;
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
    private final Database db;

    /** @param db where a map setter's current value is read (for its map-key checks) */
    public RbacAuthorizer(Rbac rbac, Database db) {
        this.rbac = rbac;
        this.db = db;
    }

    @Override
    public void check(SessionInfo session, MessageDef m, List<Object> args) {
        String perm = rbac.permissionFor(m, keyArg(m, args));
        if (session.permissions().contains(perm)) {
            if (m.kind() == MessageKind.SET_FIELD) checkChangedKeys(session, m, args);
            return;
        }
        if (m.kind() == MessageKind.GET_ALL_RECORDS_WHERE
                && rbac.rolesWith(perm).isEmpty()) {
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

    /**
     * Xapi's {@code set_map_with_rbac}: setting a whole map whose keys are protected (VM.other_config,
     * VM.platform, task.other_config, ...) needs the key permissions of the keys it adds, changes or
     * removes, as {@code add_to_<field>} / {@code remove_from_<field>} would.
     */
    @SuppressWarnings("unchecked")
    private void checkChangedKeys(SessionInfo session, MessageDef m, List<Object> args) {
        ClassDef cls = db.datamodel().cls(m.cls());
        MessageDef add = cls.message("add_to_" + m.field());
        MessageDef remove = cls.message("remove_from_" + m.field());
        if (add == null || add.mapKeyRoles().isEmpty() || args.size() < 2 || !(args.get(1) instanceof Map<?, ?> nv))
            return;
        String self = (String) args.get(0);
        if (!db.snapshot().exists(m.cls(), self)) return; // the call fails with HANDLE_INVALID later
        Map<Object, Object> old = (Map<Object, Object>) db.snapshot().get(m.cls(), self, m.field());
        for (Map.Entry<?, ?> e : nv.entrySet()) {
            if (!java.util.Objects.equals(old.get(e.getKey()), e.getValue()))
                require(session, add, String.valueOf(e.getKey()));
        }
        for (Object k : old.keySet()) {
            if (!nv.containsKey(k)) require(session, remove == null ? add : remove, String.valueOf(k));
        }
    }

    private void require(SessionInfo session, MessageDef m, String key) {
        String perm = rbac.permissionFor(m, key);
        if (perm.contains(Rbac.KEY_INFIX) && !session.permissions().contains(perm)) throw rbac.denied(perm);
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
