package org.xapijava.storage.smapiv1;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xapijava.model.util.GroupProcess;
import org.xapijava.storage.MirrorState;
import org.xapijava.storage.SmError;
import org.xapijava.storage.StorageException;
import org.xapijava.storage.smapiv1.Smapiv1Adapter.Target;

/**
 * The mirror of running VDIs for SMAPIv1 drivers with {@code VDI_MIRROR}, as Xapi's {@code storage_smapiv1_migrate.ml}
 * drives tapdisk with {@code tap-ctl}: here the tool {@code smmirror} beside the driver drives the
 * qemu-storage-daemon that serves the VDI's datapath (see the tool's own description). Keeps, per VDI being
 * mirrored, whether its last round ran when the VM's datapath deactivated it ({@link #finishBeforeDeactivate}).
 * Thread-safe.
 */
final class Smapiv1Mirror {
    private static final System.Logger LOG = System.getLogger(Smapiv1Mirror.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The tool's name, in the driver's directory. */
    static final String TOOL = "smmirror";
    /** How long one run of the tool may take beyond the wait it is asked for (QMP answers at once). */
    private static final Duration SLACK = Duration.ofMinutes(2);
    /** The last round's own limit is the tool's (600 s); the process gets this much. */
    private static final Duration FINISH_TIMEOUT = Duration.ofMinutes(11);

    private final Path xapiSocket;
    /** sr/vdi of each VDI mirrored → how it ended (null while running). */
    private final Map<String, MirrorState> mirrors = new ConcurrentHashMap<>();

    Smapiv1Mirror(Path xapiSocket) {
        this.xapiSocket = xapiSocket;
    }

    private static String key(String sr, String vdi) {
        return sr + "/" + vdi;
    }

    private static final MirrorState RUNNING = new MirrorState(MirrorState.NONE, 0, 0, 0, "");

    void start(Target t, String vdi, Path target) {
        requireCapability(t);
        run(t, List.of("start", t.sr(), vdi, target.toString()), Duration.ZERO);
        mirrors.put(key(t.sr(), vdi), RUNNING);
    }

    MirrorState await(Target t, String vdi, Duration timeout) {
        requireCapability(t);
        return state(run(t, List.of("wait", t.sr(), vdi, seconds(timeout)), timeout));
    }

    MirrorState sync(Target t, String vdi, Duration timeout) {
        requireCapability(t);
        return state(run(t, List.of("sync", t.sr(), vdi, seconds(timeout)), timeout));
    }

    MirrorState outcome(String sr, String vdi) {
        MirrorState s = mirrors.get(key(sr, vdi));
        return s == null ? RUNNING : s;
    }

    void stop(Target t, String vdi) {
        mirrors.remove(key(t.sr(), vdi));
        if (!t.driver().has("VDI_MIRROR")) return;
        run(t, List.of("stop", t.sr(), vdi), Duration.ZERO);
    }

    /**
     * Before the backend deactivates {@code vdi} (the VDI lock held): if it is being mirrored and its mirror has not
     * ended, its last round runs now (its guest stopped writing), and the outcome is recorded; a failure is recorded,
     * not thrown, so that the datapath still goes (the source keeps every byte: the caller goes back to it).
     */
    void finishBeforeDeactivate(Target t, String vdi) {
        String k = key(t.sr(), vdi);
        if (mirrors.get(k) != RUNNING) return;
        MirrorState end;
        try {
            run(t, List.of("finish", t.sr(), vdi), FINISH_TIMEOUT);
            end = new MirrorState(MirrorState.COPIED, 0, 0, 0, "");
        } catch (StorageException e) {
            LOG.log(System.Logger.Level.WARNING, "mirror of " + k + ": the last round failed: " + e.getMessage());
            end = new MirrorState(MirrorState.FAILED, 0, 0, 0, e.getMessage());
        }
        mirrors.replace(k, RUNNING, end);
    }

    private static void requireCapability(Target t) {
        if (!t.driver().has("VDI_MIRROR")) throw new StorageException(SmError.UNIMPLEMENTED, "DATA.MIRROR");
    }

    private static String seconds(Duration d) {
        return Double.toString(d.toMillis() / 1000.0);
    }

    private static MirrorState state(JsonNode n) {
        return new MirrorState(
                n.path("state").asText(MirrorState.FAILED),
                n.path("done").asLong(),
                n.path("total").asLong(),
                n.path("dirty").asLong(),
                n.path("error").asText(""));
    }

    /** Runs the tool beside the driver with the drivers' environment; its JSON answer, or a StorageException. */
    private JsonNode run(Target t, List<String> args, Duration wait) {
        Path tool = Path.of(t.driver().driverFilename()).resolveSibling(TOOL);
        if (!Files.isExecutable(tool)) {
            throw new StorageException(SmError.UNIMPLEMENTED, "DATA.MIRROR: no " + tool);
        }
        List<String> argv = new ArrayList<>();
        argv.add(tool.toString());
        argv.addAll(args);
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("PATH", GroupProcess.DEFAULT_PATH);
        env.put("ORIGINATOR", "SM");
        if (xapiSocket != null) env.put("XAPI_UNIX_SOCKET", xapiSocket.toString());
        Duration limit = args.getFirst().equals("finish") ? FINISH_TIMEOUT : wait.plus(SLACK);
        GroupProcess.Result r;
        try {
            r = GroupProcess.run(argv, env, new GroupProcess.Limits(limit, 1 << 16, 1 << 16));
        } catch (IOException e) {
            throw new StorageException(SmError.GENERIC, "cannot run " + tool + ": " + e.getMessage(), e);
        }
        String out = new String(r.stdout(), StandardCharsets.UTF_8).strip();
        String err = new String(r.stderr(), StandardCharsets.UTF_8).strip();
        if (r.killedBecause() != null || r.exit() != 0 || out.isEmpty()) {
            String why = r.killedBecause() != null ? r.killedBecause() : err.isEmpty() ? "exit " + r.exit() : err;
            throw StorageException.xapi(
                    SmError.GENERIC, "SR_BACKEND_FAILURE", List.of("smmirror " + args.getFirst(), out, why));
        }
        try {
            return JSON.readTree(out);
        } catch (IOException e) {
            throw new StorageException(SmError.GENERIC, "smmirror " + args.getFirst() + ": " + out, e);
        }
    }
}
