package org.xapijava.model.util;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external program the way xapi runs its plugins and storage drivers (Xapi's {@code forkhelpers}): in a
 * session and process group of its own ({@code setsid}), with exactly the environment given, stdin closed, stdout
 * and stderr read to their end on platform threads (never a virtual thread's carrier) up to a cap each; when it
 * outlives its time or writes past a cap its whole process group is killed. Used by the SMAPIv1 executor and
 * {@code host.call_plugin}. Stateless; thread-safe.
 */
public final class GroupProcess {
    private static final System.Logger LOG = System.getLogger(GroupProcess.class.getName());
    /** Xapi's {@code Forkhelpers.default_path}: the PATH its plugins and drivers get. */
    public static final String DEFAULT_PATH = "/sbin:/usr/sbin:/bin:/usr/bin";

    private static final Path SETSID = Path.of("/usr/bin/setsid");
    /** After the program exits, how long its pipes may stay open (a descendant that left the group). */
    private static final long PIPE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

    private GroupProcess() {}

    /**
     * What a run may use.
     *
     * @param timeout   how long the program may run before its process group is killed
     * @param maxStdout bytes of stdout kept; writing more kills the group
     * @param maxStderr bytes of stderr kept; writing more kills the group
     */
    public record Limits(Duration timeout, int maxStdout, int maxStderr) {
        public Limits {
            if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout " + timeout);
            if (maxStdout <= 0 || maxStderr <= 0) throw new IllegalArgumentException("output caps must be > 0");
        }
    }

    /**
     * How a run ended.
     *
     * @param exit          the exit status as Java reports it (128 + N for a death by signal N)
     * @param stdout        what it wrote, at most the cap
     * @param stderr        likewise
     * @param killedBecause why its group was killed ("timed out after 3 s", "stdout over N bytes", "interrupted"),
     *                      or null when it ended by itself
     */
    public record Result(int exit, byte[] stdout, byte[] stderr, String killedBecause) {
        /** The signal the program died of (1–64), or 0 when it exited. */
        public int signal() {
            return exit > 128 && exit <= 128 + 64 ? exit - 128 : 0;
        }
    }

    /**
     * Runs {@code argv} with environment {@code env} (nothing else of this process's environment) under
     * {@code limits}.
     *
     * @throws IOException when the program cannot be started
     */
    public static Result run(List<String> argv, Map<String, String> env, Limits limits) throws IOException {
        List<String> cmd = new ArrayList<>(argv.size() + 1);
        if (Files.isExecutable(SETSID)) cmd.add(SETSID.toString());
        cmd.addAll(argv);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        long deadline = System.nanoTime() + limits.timeout().toNanos();
        try {
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // the program does not read stdin
        }
        Drain out = new Drain(p.getInputStream(), limits.maxStdout(), p.pid() + "-stdout");
        Drain err = new Drain(p.getErrorStream(), limits.maxStderr(), p.pid() + "-stderr");
        String killed = null;
        try {
            if (!waitFor(p, out, err, deadline)) {
                killed = out.overflow
                        ? "stdout over " + limits.maxStdout() + " bytes"
                        : err.overflow
                                ? "stderr over " + limits.maxStderr() + " bytes"
                                : "timed out after " + limits.timeout().toSeconds() + " s";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killed = "interrupted";
        }
        if (killed != null) {
            LOG.log(System.Logger.Level.WARNING, "killing {0} (pid {1}): {2}", argv.getFirst(), p.pid(), killed);
            killGroup(p);
            joinQuietly(out, err);
        }
        int exit;
        try {
            exit = p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exit = -1;
        }
        return new Result(exit, out.bytes(), err.bytes(), killed);
    }

    /** Waits for exit and both pipes' end until the deadline or an overflow; true when all three happened. */
    private static boolean waitFor(Process p, Drain out, Drain err, long deadline) throws InterruptedException {
        while (true) {
            if (out.overflow || err.overflow) return false;
            long left = deadline - System.nanoTime();
            if (left <= 0) return false;
            if (!p.isAlive()) {
                long end = Math.min(deadline, System.nanoTime() + PIPE_GRACE_NANOS);
                for (Drain d : new Drain[] {out, err}) {
                    long wait = end - System.nanoTime();
                    if (wait > 0) d.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)));
                }
                if (out.overflow || err.overflow) return false;
                if (out.thread.isAlive() || err.thread.isAlive()) {
                    if (System.nanoTime() - deadline >= 0) return false;
                    LOG.log(
                            System.Logger.Level.WARNING,
                            "pid {0} exited leaving processes that hold its output open; reading stopped",
                            p.pid());
                }
                return true;
            }
            p.waitFor(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
        }
    }

    /** SIGKILL to the program's process group (setsid made it the leader), then to the process and descendants. */
    private static void killGroup(Process p) {
        try {
            Process k = new ProcessBuilder("/bin/kill", "-KILL", "--", "-" + p.pid())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            k.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot run kill: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static void joinQuietly(Drain... drains) {
        for (Drain d : drains) {
            try {
                d.thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Reads one pipe to its end on a platform thread, keeping at most {@code cap} bytes. */
    private static final class Drain {
        final Thread thread;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        volatile boolean overflow;

        Drain(InputStream in, int cap, String name) {
            thread = Thread.ofPlatform().daemon().name("group-process-" + name).start(() -> {
                byte[] b = new byte[8192];
                try (in) {
                    int n;
                    while ((n = in.read(b)) > 0) {
                        synchronized (buf) {
                            int room = cap - buf.size();
                            buf.write(b, 0, Math.min(n, Math.max(room, 0)));
                            if (n > room) {
                                overflow = true;
                                return;
                            }
                        }
                    }
                } catch (IOException e) {
                    // the pipe closed under us: the process was killed
                }
            });
        }

        byte[] bytes() {
            synchronized (buf) {
                return buf.toByteArray();
            }
        }
    }
}
