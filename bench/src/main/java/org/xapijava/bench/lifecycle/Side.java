package org.xapijava.bench.lifecycle;

/**
 * One side of the benchmark: what "start VM {@code vm}" and "shut VM {@code vm} down cleanly" mean for it, as
 * client {@code client} (each VM belongs to one client, so that no two calls ever race on a VM). Implementations
 * are called from {@code clients} threads at once, each with its own client index.
 */
interface Side {
    /** How the report names this side. */
    String name();

    /** Starts the VM and returns once it runs (unpaused). */
    void start(int client, int vm) throws Exception;

    /** Shuts the running VM down cleanly and returns once it is halted and forgotten by xenopsd. */
    void cleanShutdown(int client, int vm) throws Exception;

    /** Throws {@link IllegalStateException} unless every VM is halted and nothing is left marked or running. */
    void checkIdle() throws Exception;
}
