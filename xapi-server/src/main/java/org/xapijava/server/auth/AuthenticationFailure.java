package org.xapijava.server.auth;

/** Authentication failed; the message is what Xapi sends as the reason. */
public final class AuthenticationFailure extends Exception {
    public AuthenticationFailure(String message) {
        super(message);
    }
}
