package org.xapijava.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.model.types.Refs;

class SubjectApiTest {
    @TempDir
    Path dir;

    @Test
    void subjectsAndTheirRoles() throws Exception {
        try (TestHost h = TestHost.start(dir)) {
            String s = h.login();
            // a subject as the directory would have produced it
            String subj = Refs.fresh();
            h.server
                    .services()
                    .db()
                    .create(
                            "subject",
                            subj,
                            Map.of(
                                    "uuid",
                                    "7a4f3a4e-1111-2222-3333-444455556666",
                                    "subject_identifier",
                                    "S-1-5-21-1",
                                    "roles",
                                    List.of()));
            assertEquals(
                    List.of("SUBJECT_ALREADY_EXISTS"),
                    h.err("subject.create", s, Map.of("subject_identifier", "S-1-5-21-1", "other_config", Map.of())));
            assertEquals(
                    List.of("AUTH_IS_DISABLED"),
                    h.err("subject.create", s, Map.of("subject_identifier", "S-1-5-21-2", "other_config", Map.of())));
            String vmAdmin = Rbac.refOf("vm-admin");
            h.ok("subject.add_to_roles", s, subj, vmAdmin);
            assertEquals(List.of("ROLE_ALREADY_EXISTS"), h.err("subject.add_to_roles", s, subj, vmAdmin));
            String permission = Rbac.get().getByNameLabel("vm.start").get(0);
            assertEquals(List.of("ROLE_NOT_FOUND"), h.err("subject.add_to_roles", s, subj, permission));
            @SuppressWarnings("unchecked")
            List<String> perms = (List<String>) h.ok("subject.get_permissions_name_label", s, subj);
            assertTrue(perms.contains("vm.start"));
            assertTrue(!perms.contains("pool.destroy")
                    || Rbac.get().rolesWith("pool.destroy").contains("vm-admin"));
            h.ok("subject.remove_from_roles", s, subj, vmAdmin);
            assertEquals(List.of("ROLE_NOT_FOUND"), h.err("subject.remove_from_roles", s, subj, vmAdmin));
            assertEquals(List.of(), h.ok("subject.get_roles", s, subj));
        }
    }
}
