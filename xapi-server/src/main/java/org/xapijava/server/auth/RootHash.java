package org.xapijava.server.auth;

/**
 * The local superuser's password as its {@code crypt(3)} hash: what Xapi's config file sync reads on the master and
 * writes on its members ({@code Unixpwd.get} / {@code setpwd} of {@code root}). Thread-safe.
 */
public interface RootHash {
    /** root's current hash, or null when there is none this host can tell. */
    String get();

    /**
     * Makes {@code hash} root's (a {@code crypt(3)} string as {@link #get} gives); nothing changes when it already is.
     *
     * @throws IllegalArgumentException when {@code hash} is not one this host can check passwords against
     * @throws java.io.UncheckedIOException when it cannot be stored
     */
    void set(String hash);
}
