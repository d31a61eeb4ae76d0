package org.xapijava.server.session;

import java.util.Set;

/**
 * What the dispatcher needs to know about the caller's session.
 *
 * @param ref              the session ref
 * @param localSuperuser   {@code is_local_superuser}: every permission (root, Unix socket, pool sessions)
 * @param pool             an intra-pool session ({@code slave_login})
 * @param local            an in-memory emergency session ({@code slave_local_login*}): every permission
 * @param permissions      {@code rbac_permissions}, lower-case
 * @param authUserSid      {@code auth_user_sid} ("" for local users)
 * @param authUserName     {@code auth_user_name}
 */
public record SessionInfo(
        String ref,
        boolean localSuperuser,
        boolean pool,
        boolean local,
        Set<String> permissions,
        String authUserSid,
        String authUserName) {

    /** Whether RBAC lets this session do anything without looking at permissions. */
    public boolean unrestricted() {
        return localSuperuser || local || pool;
    }
}
