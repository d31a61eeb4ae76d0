package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.model.client.XenApi;

/** The subject, role and session-subject commands of {@code cli_operations.ml}. */
final class AuthCommands {
    private AuthCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put(
                "subject-remove",
                c -> c.api()
                        .subject()
                        .destroy(c.api().subject().getByUuid(c.params().get("subject-uuid"))));
        t.put("subject-role-add", c -> {
            String[] sr = subjectAndRole(c);
            c.api().subject().addToRoles(sr[0], sr[1]);
        });
        t.put("subject-role-remove", c -> {
            String[] sr = subjectAndRole(c);
            c.api().subject().removeFromRoles(sr[0], sr[1]);
        });
        t.put("session-subject-identifier-list", c -> {
            List<Printer.Row> rows = new ArrayList<>();
            for (String id : c.api().session().getAllSubjectIdentifiers()) {
                rows.add(new Printer.Row(List.of(Map.entry("subject-identifier ( RO)", id))));
            }
            c.out().table(rows);
        });
        t.put(
                "session-subject-identifier-logout",
                c -> c.api().session().logoutSubjectIdentifier(c.params().get("subject-identifier")));
        t.put("session-subject-identifier-logout-all", c -> {
            XenApi api = c.api();
            for (String id : api.session().getAllSubjectIdentifiers())
                api.session().logoutSubjectIdentifier(id);
        });
    }

    /**
     * Xapi's {@code subject_role_common}: the subject {@code uuid} names and the role by {@code role-uuid} or
     * {@code role-name} (exactly one of them, else Xapi's {@code failwith}: an internal error); an unknown role name is the null reference, for the server to refuse.
     */
    private static String[] subjectAndRole(CommandContext c) {
        Params p = c.params();
        String roleUuid = p.getOr("role-uuid", "");
        String roleName = p.getOr("role-name", "");
        if (roleUuid.isEmpty() && roleName.isEmpty()) {
            throw new CliFailure("Required parameter not found: role-uuid or role-name");
        }
        if (!roleUuid.isEmpty() && !roleName.isEmpty()) {
            throw new CliFailure("Parameters role-uuid and role-name cannot be used together");
        }
        String subject = c.params().get("uuid");
        String role;
        if (!roleUuid.isEmpty()) {
            role = c.api().role().getByUuid(roleUuid);
        } else {
            List<String> roles = c.api().role().getByNameLabel(roleName);
            role = roles.isEmpty() ? VmCommands.NULL : roles.get(0);
        }
        return new String[] {c.api().subject().getByUuid(subject), role};
    }
}
