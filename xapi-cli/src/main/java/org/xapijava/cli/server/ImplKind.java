package org.xapijava.cli.server;

/**
 * How Xapi runs a static xe command (Xapi's {@code Cli_cmdtable.imp}): whether the implementation gets the
 * client's connection, and which login it runs under; see reference/xe-cli.md §3.3 and §3.4.
 */
public enum ImplKind {
    /** a normal session ({@code session.login_with_password}); talks to the client only through its output */
    NO_FD("No_fd"),
    /** a normal session, and the client's connection: may load, prompt, or move files over HTTP */
    WITH_FD("With_fd"),
    /** a local session ({@code session.slave_local_login_with_password}): works on a member in emergency mode */
    NO_FD_LOCAL_SESSION("No_fd_local_session"),
    /** a local session and the client's connection */
    WITH_FD_LOCAL_SESSION("With_fd_local_session");

    private final String xapiName;

    ImplKind(String xapiName) {
        this.xapiName = xapiName;
    }

    /** The constructor's name in Xapi's source, as commands.txt spells it ({@code No_fd}). */
    public String xapiName() {
        return xapiName;
    }

    /** Whether the implementation gets the client's connection. */
    public boolean withFd() {
        return this == WITH_FD || this == WITH_FD_LOCAL_SESSION;
    }

    /** Whether the command logs in with a local session (pool members, emergency mode) rather than a normal one. */
    public boolean localSession() {
        return this == NO_FD_LOCAL_SESSION || this == WITH_FD_LOCAL_SESSION;
    }
}
