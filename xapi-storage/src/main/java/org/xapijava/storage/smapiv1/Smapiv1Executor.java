package org.xapijava.storage.smapiv1;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.util.GroupProcess;
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

    /** Xapi's PATH for drivers ({@code Forkhelpers.default_path_env_pair}). */
    public static final String PATH = GroupProcess.DEFAULT_PATH;

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
            GroupProcess.Result o = run(driver, call.toXml());
            return interpret(o, call);
        } finally {
            if (serial) attachDetach.unlock();
        }
    }

    /**
     * Runs {@code driver} with a static VDI's configuration as its one argument, as Xapi's {@code static-vdis} tool
     * does: the {@code vdi_attach_from_config} (or {@code vdi_detach_from_config}) methodCall that
     * {@code vdi_generate_config} returned, exactly as it is. Outcomes are {@link #exec}'s.
     */
    public Object execConfig(Path driver, String config) {
        return interpret(run(driver, config), null);
    }

    /** Runs the driver with {@code xml} as its argument and collects everything. */
    GroupProcess.Result run(Path driver, String xml) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("PATH", PATH);
        env.put("ORIGINATOR", "SM");
        if (config.xapiSocket() != null)
            env.put("XAPI_UNIX_SOCKET", config.xapiSocket().toString());
        try {
            return GroupProcess.run(
                    List.of(driver.toString(), xml),
                    env,
                    new GroupProcess.Limits(config.timeout(), config.maxStdout(), config.maxStderr()));
        } catch (IOException e) {
            throw failure("cannot run " + driver + ": " + e.getMessage(), "", "");
        }
    }

    // ------------------------------------------------------------------ results

    Object interpret(GroupProcess.Result o, Smapiv1Call call) {
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
                        SmError.VDI_MISSING,
                        "VDI_MISSING",
                        call == null ? List.of("", "") : List.of(orEmpty(call.srRef()), orEmpty(call.vdiRef())));
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

    private static final XMLInputFactory STAX = org.xapijava.model.util.SafeXml.inputFactory();

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
