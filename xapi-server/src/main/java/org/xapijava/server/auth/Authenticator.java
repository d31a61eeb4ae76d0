package org.xapijava.server.auth;

/** Checks local user credentials (PAM, or the development password file). */
public interface Authenticator {
    void authenticate(String user, String password) throws AuthenticationFailure;

    void changePassword(String user, String oldPassword, String newPassword) throws AuthenticationFailure;
}
