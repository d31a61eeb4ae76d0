package org.xapijava.storage.smapiv1;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcParseException;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.storage.SmError;
import org.xapijava.storage.StorageException;

/**
 * Runs SMAPIv1 driver executables as Xapi does ({@code ocaml/xapi/sm_exec.ml}, {@code exec_xmlrpc}): the
 * command's XML ({@link Smapiv1Call#toXml()}) as the only argument, the environment exactly
 * {@code PATH=/sbin:/usr/sbin:/bin:/usr/bin} and {@code ORIGINATOR=SM} (plus {@code XAPI_UNIX_SOCKET} when
 * configured: a deviation that lets the bundled {@code XenAPI.py} reach a per-host socket in tests), stdin closed,
 * stdout parsed as one {@code methodResponse} with the project's hardened reader, stderr captured.
 *
 * <p>Failures become {@link StorageException}s carrying Xapi's exact XenAPI error ({@link
 * StorageException#xapiError()}): non-zero exit {@code SR_BACKEND_FAILURE ["non-zero exit", stdout, stderr]}, death
 * by a signal {@code ["received signal: SIGKILL", ...]}, unparseable output {@code SR_BACKEND_FAILURE [reason,
 * stdout, stderr]}, faults 39/24/16/144 {@code SR_NOT_EMPTY}, {@code VDI_IN_USE}, {@code SR_DEVICE_IN_USE},
 * {@code VDI_MISSING [sr, vdi]}, fault 38 a {@link SmError#UNIMPLEMENTED} (no XenAPI error: callers answer their
 * own "not supported"), other faults {@code SR_BACKEND_FAILURE_<n> ["", faultString, stderr]}, a success that is not
 * one value {@code INTERNAL_ERROR ["Unexpected response from SM plugin"]}.
 *
 * <p>Beyond Xapi: every driver runs in its own session (through util-linux {@code setsid}, which execs the driver
 * in place), and when it outlives the {@linkplain Config#timeout() timeout} or writes more than the output caps the
 * whole process group is killed with SIGKILL (children included) and the call fails with {@code SR_BACKEND_FAILURE
 * ["timed out after <n> s" | "stdout over <n> bytes" | ..., stdout, stderr]} (the output quoted up to 64 KiB). Pipes
 * are read on platform threads; once the driver has exited its output is read for two more seconds at most, so that
 * a child it left holding the pipes (a background job that did not close them) does not hold the call.
 * {@code sr_attach}, {@code sr_detach} and {@code sr_probe} run under one host-wide mutex (Xapi's
 * {@code "sr_attach/detach"}). Thread-safe.
 */
public final class Smapiv1Executor {
    private static final System.Logger LOG = System.getLogger(Smapiv1Executor.class.getName());

    /** Xapi's PATH for drivers ({@code Forkhelpers.default_path_env_pair}). */
    public static final String PATH = "/sbin:/usr/sbin:/bin:/usr/bin";

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    /** How long output is still read after the driver exits (children it left may hold the pipes open). */
    private static final long PIPE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** How much of stdout and stderr a failure of a killed driver quotes. */
    private static final int QUOTE_LIMIT = 65536;

    private static final String[] SIGNALS = {
        "",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS"
    };

    /**
     * How drivers are run.
     *
     * @param xapiSocket the path given to drivers as {@code XAPI_UNIX_SOCKET}, or null to give none (the drivers
     *                   then use {@code /var/lib/xcp/xapi}, as Xapi's)
     * @param timeout    how long one command may run before its process group is killed (Xapi has no limit)
     * @param maxStdout  bytes of stdout accepted
     * @param maxStderr  bytes of stderr accepted
     */
    public record Config(Path xapiSocket, Duration timeout, int maxStdout, int maxStderr) {
        /** The default timeout: one hour (a snapshot or coalesce of a big disk may take minutes). */
        public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(1);

        public Config {
            if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout " + timeout);
            if (maxStdout <= 0 || maxStderr <= 0) throw new IllegalArgumentException("caps");
        }

        /** 1 hour, 16 MiB of stdout, 1 MiB of stderr, with the given socket (null for none). */
        public static Config defaults(Path xapiSocket) {
            return new Config(xapiSocket, DEFAULT_TIMEOUT, 16 << 20, 1 << 20);
        }
    }

    /** What a finished driver process left: its exit code (128+n for signal n), output, and why it was killed. */
    record Outcome(int exit, byte[] stdout, byte[] stderr, String killedBecause) {}

    private final Config config;
    private final XmlRpcReader reader;
    private final ReentrantLock attachDetach = new ReentrantLock(true);

    public Smapiv1Executor(Config config) {
        this.config = config;
        this.reader = new XmlRpcReader(new XmlRpcReader.Limits(config.maxStdout(), 64));
    }

    public Config config() {
        return config;
    }

    /**
     * Runs {@code call} with the driver {@code driver} (an executable) and returns the one value of its
     * {@code methodResponse} (an RPC value: String, Long, Boolean, Double, Map, List, or null for {@code <nil/>}).
     *
     * @throws StorageException as the class describes
     */
    public Object exec(Path driver, Smapiv1Call call) {
        String cmd = call.command();
        boolean serial = cmd.equals("sr_attach") || cmd.equals("sr_detach") || cmd.equals("sr_probe");
        if (serial) attachDetach.lock();
        try {
            Outcome o = run(driver, call.toXml());
            return interpret(o, call);
        } finally {
            if (serial) attachDetach.unlock();
        }
    }

    /** Runs the driver with {@code xml} as its argument and collects everything. */
    Outcome run(Path driver, String xml) {
        List<String> argv = new ArrayList<>(3);
        if (Files.isExecutable(SETSID)) argv.add(SETSID.toString());
        argv.add(driver.toString());
        argv.add(xml);
        ProcessBuilder pb = new ProcessBuilder(argv);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", PATH);
        env.put("ORIGINATOR", "SM");
        if (config.xapiSocket() != null)
            env.put("XAPI_UNIX_SOCKET", config.xapiSocket().toString());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw failure("cannot run " + driver + ": " + e.getMessage(), "", "");
        }
        long deadline = System.nanoTime() + config.timeout().toNanos();
        try {
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // the driver does not read stdin
        }
        Drain out = new Drain(p.getInputStream(), config.maxStdout(), "stdout");
        Drain err = new Drain(p.getErrorStream(), config.maxStderr(), "stderr");
        String killed = null;
        try {
            boolean done = waitFor(p, out, err, deadline);
            if (!done) {
                killed = out.overflow
                        ? "stdout over " + config.maxStdout() + " bytes"
                        : err.overflow
                                ? "stderr over " + config.maxStderr() + " bytes"
                                : "timed out after " + config.timeout().toSeconds() + " s";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killed = "interrupted";
        }
        if (killed != null) {
            LOG.log(System.Logger.Level.WARNING, "killing SM driver {0} (pid {1}): {2}", driver, p.pid(), killed);
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
        return new Outcome(exit, out.bytes(), err.bytes(), killed);
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
                            "SM driver (pid {0}) exited leaving processes that hold its output open; reading stopped",
                            p.pid());
                }
                return true;
            }
            p.waitFor(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
        }
    }

    /** SIGKILL to the driver's process group (its pid, as setsid made it a session leader), then to the process. */
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
            thread = Thread.ofPlatform().daemon().name("sm-exec-" + name).start(() -> {
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

    // ------------------------------------------------------------------ results

    Object interpret(Outcome o, Smapiv1Call call) {
        String stdout = new String(o.stdout(), StandardCharsets.UTF_8);
        String stderr = new String(o.stderr(), StandardCharsets.UTF_8);
        if (o.killedBecause() != null) {
            throw failure(o.killedBecause(), quote(stdout), quote(stderr));
        }
        if (o.exit() > 128 && o.exit() < 128 + SIGNALS.length) {
            throw failure("received signal: " + SIGNALS[o.exit() - 128], stdout, stderr);
        }
        if (o.exit() != 0) throw failure("non-zero exit", stdout, stderr);
        RpcResponse r;
        try {
            r = reader.readResponse(o.stdout());
        } catch (XmlRpcParseException e) {
            if (isResponseWithoutOneParam(o.stdout())) throw unexpected();
            throw failure(e.getMessage(), stdout, stderr);
        }
        if (r.success()) return r.contents();
        if (r.contents() instanceof List<?> l && l.size() == 3 && "fault".equals(l.get(0))) {
            if (!(l.get(1) instanceof Long code) || !(l.get(2) instanceof String text)) {
                throw failure("bad fault: " + l, stdout, stderr);
            }
            throw fault(code, text, stderr, call);
        }
        // a {Status: Failure, ErrorDescription} struct: Xapi hands such a value back as the result
        return Map.of("Status", "Failure", "ErrorDescription", r.contents());
    }

    private static String quote(String s) {
        return s.length() <= QUOTE_LIMIT ? s : s.substring(0, QUOTE_LIMIT);
    }

    private static StorageException fault(long code, String text, String stderr, Smapiv1Call call) {
        return switch ((int) code) {
            case 38 -> new StorageException(SmError.UNIMPLEMENTED, text);
            case 39 -> StorageException.xapi(SmError.SR_NOT_EMPTY, "SR_NOT_EMPTY", List.of());
            case 24 -> StorageException.xapi(SmError.VDI_IN_USE, "VDI_IN_USE", List.of());
            case 16 -> StorageException.xapi(SmError.SR_IN_USE, "SR_DEVICE_IN_USE", List.of());
            case 144 ->
                StorageException.xapi(
                        SmError.VDI_MISSING, "VDI_MISSING", List.of(orEmpty(call.srRef()), orEmpty(call.vdiRef())));
            default ->
                code != (int) code
                        ? failure("bad fault code " + code, "", stderr)
                        : StorageException.xapi(
                                SmError.ofCode(code), "SR_BACKEND_FAILURE_" + code, List.of("", text, stderr));
        };
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private static StorageException failure(String reason, String stdout, String stderr) {
        return StorageException.xapi(SmError.GENERIC, "SR_BACKEND_FAILURE", List.of(reason, stdout, stderr));
    }

    private static StorageException unexpected() {
        return StorageException.xapi(SmError.GENERIC, "INTERNAL_ERROR", List.of("Unexpected response from SM plugin"));
    }

    private static final XMLInputFactory STAX = staxFactory();

    private static XMLInputFactory staxFactory() {
        XMLInputFactory f = XMLInputFactory.newDefaultFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        return f;
    }

    /**
     * Whether the document is a well-formed {@code <methodResponse><params>} holding other than one
     * {@code <param>}: a success that is not one value, which Xapi answers with {@code INTERNAL_ERROR}.
     */
    static boolean isResponseWithoutOneParam(byte[] doc) {
        try {
            XMLStreamReader x = STAX.createXMLStreamReader(new ByteArrayInputStream(doc));
            try {
                int depth = 0;
                int params = 0;
                boolean sawParams = false;
                while (x.hasNext()) {
                    int ev = x.next();
                    if (ev == XMLStreamConstants.START_ELEMENT) {
                        depth++;
                        String n = x.getLocalName();
                        if (depth == 1 && !n.equals("methodResponse")) return false;
                        if (depth == 2) {
                            if (!n.equals("params")) return false;
                            sawParams = true;
                        }
                        if (depth == 3 && n.equals("param")) params++;
                    } else if (ev == XMLStreamConstants.END_ELEMENT) {
                        depth--;
                    }
                }
                return sawParams && params != 1;
            } finally {
                x.close();
            }
        } catch (XMLStreamException | RuntimeException e) {
            return false;
        }
    }
}
