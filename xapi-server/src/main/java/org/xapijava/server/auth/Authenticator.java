package org.xapijava.server.auth;

/**
 * Checks and changes the password of a local account: what Xapi does for
 * {@code session.login_with_password} and {@code session.change_password} while external
 * authentication is disabled ({@code xapi_session.ml}: {@code do_local_auth},
 * {@code do_local_change_password}).
 *
 * <p>Contract shared by the implementations:
 * <ul>
 *   <li>Both methods are thread-safe and may be called from virtual threads; they block the caller
 *       until the check is done (including any wait for a free worker, see the implementations).</li>
 *   <li>A failure is always an {@link AuthenticationFailure} whose {@link
 *       AuthenticationFailure#getMessage() message} is the text Xapi sends: the caller raises
 *       {@code SESSION_AUTHENTICATION_FAILED [uname, message]} for {@link #authenticate} and
 *       {@code CHANGE_PASSWORD_REJECTED [message]} for {@link #changePassword}.</li>
 *   <li>As in Xapi's C stub, user names and passwords end at their first NUL character (the rest is
 *       never looked at), and are handed to the password check as UTF-8.</li>
 * </ul>
 */
public interface Authenticator {

    /**
     * Succeeds when {@code password} is the current password of the enabled account {@code user}
     * (PAM: {@code pam_authenticate} then {@code pam_acct_mgmt}, both with
     * {@code PAM_DISALLOW_NULL_AUTHTOK}).
     *
     * @throws AuthenticationFailure with Xapi's text, e.g. {@code "Authentication failure"}
     */
    void authenticate(String user, String password) throws AuthenticationFailure;

    /**
     * Sets the password of {@code user} to {@code newPassword}. The implementations ignore
     * {@code oldPassword}, as Xapi's {@code session.change_password} does (it runs as root and only
     * calls {@code pam_chauthtok} with the new password; checking the old one is the caller's
     * business if it wants to). The parameter is kept so that a stricter implementation can use it.
     *
     * @throws AuthenticationFailure with the text Xapi reports in {@code CHANGE_PASSWORD_REJECTED},
     *         e.g. {@code "Authentication token manipulation error"}
     */
    void changePassword(String user, String oldPassword, String newPassword) throws AuthenticationFailure;
}
