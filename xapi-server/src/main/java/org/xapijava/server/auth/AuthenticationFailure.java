package org.xapijava.server.auth;

/**
 * A refused authentication or password change. {@link #getMessage()} is exactly the text Xapi puts
 * on the wire: the second parameter of {@code SESSION_AUTHENTICATION_FAILED [uname, message]}, or the
 * only parameter of {@code CHANGE_PASSWORD_REJECTED [message]}. For PAM that is the English
 * {@code pam_strerror} text of the failing return code (see {@link PamStatus#text(int)}).
 */
public final class AuthenticationFailure extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message the wire text; never null */
    public AuthenticationFailure(String message) {
        super(java.util.Objects.requireNonNull(message, "message"));
    }

    /** @param message the wire text; never null. @param cause why, for the logs only */
    public AuthenticationFailure(String message, Throwable cause) {
        super(java.util.Objects.requireNonNull(message, "message"), cause);
    }
}
