package org.xapijava.server.sm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.util.GroupProcess;
import org.xapijava.model.xmlrpc.XmlRpcParseException;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * {@code host.call_plugin} as Xapi runs it ({@code xapi_plugins.ml}): the plugin is an entry of the plugin directory
 * (Xapi's {@code xapi-plugins-root}, {@code /etc/xapi.d/plugins}) named exactly {@code plugin}, else
 * {@code XENAPI_MISSING_PLUGIN [plugin]} (so no {@code /}, {@code ..} or hidden path gets through); it is run with
 * one argument, an XML-RPC {@code methodCall} of {@code fn} with two parameters, the caller's session ref and the
 * struct of string arguments; with {@code PATH=/sbin:/usr/sbin:/bin:/usr/bin} as its only environment and no stdin.
 * Its stdout must be a {@code methodResponse} holding the XenAPI envelope: {@code {Status: Success, Value: <string>}}
 * gives the result; {@code {Status: Failure, ErrorDescription: [code, params...]}} is raised as that error; a
 * {@code <fault>} is {@code XENAPI_PLUGIN_FAILURE ["fault", code, string]}; output that is not XML is
 * {@code XENAPI_PLUGIN_FAILURE ["failed to parse plugin output", stdout, reason]}; a non-zero exit is
 * {@code XENAPI_PLUGIN_FAILURE ["non-zero exit", stdout, stderr]}; death by a signal
 * {@code ["signal: SIGxxx", stdout, stderr]}.
 *
 * <p>{@code VM.call_host_plugin} runs the same plugin on the host a running VM is resident on (the forwarding stage
 * checks the power state, marks the VM {@code call_plugin} and places the call); the VM is otherwise unused, as in
 * Xapi. {@code VM.import_convert} starts as Xapi's does, by running the {@code conversion} plugin's {@code main} for
 * the address of a XenConvert appliance ({@code XENAPI_MISSING_PLUGIN [conversion]} on a host without it, which is
 * every host of this kind); talking to such an appliance is {@code NOT_IMPLEMENTED}.
 *
 * <p>The plugin runs in a session of its own ({@code setsid}); when it outlives the timeout its whole process group
 * is killed (then it reports as killed by {@code SIGKILL}). Its output is read on two platform threads, never on the
 * caller's virtual thread (a blocking pipe read would pin its carrier). Thread-safe.
 */
public final class HostPlugins implements HostApi, Messages {
    private static final Logger LOG = LoggerFactory.getLogger(HostPlugins.class);

    /** Forkhelpers' {@code default_path}, the plugin's whole environment. */
    static final String PATH = GroupProcess.DEFAULT_PATH;

    /** Most bytes kept of each of stdout and stderr; a plugin writing more is killed. */
    static final int MAX_OUTPUT = 64 << 20;

    private static final XmlRpcReader READER = XmlRpcReader.RESPONSES;

    /** An XML-RPC {@code <fault>} answer. */
    private static final Pattern FAULT = Pattern.compile("<fault\\s*>");

    /** The {@code Status} member of Xapi's envelope. */
    private static final Pattern STATUS = Pattern.compile("<name>\\s*Status\\s*</name>");

    /** The plugin Xapi's {@code VM.import_convert} asks for the conversion appliance's address. */
    static final String CONVERSION_PLUGIN = "conversion";

    private final Path dir;
    private final Duration timeout;

    /**
     * @param dir     the plugin directory
     * @param timeout how long a plugin may run before its process group is killed
     */
    public HostPlugins(Path dir, Duration timeout) {
        this.dir = dir;
        this.timeout = timeout;
    }

    @Override
    public void bind(MessageTable table) {
        HostApi.bind(table, this);
        VMApi.bind(table, new VMApi() {
            @Override
            public String callHostPlugin(
                    CallContext ctx, String vm, String plugin, String fn, Map<String, String> args) {
                return call(ctx.sessionRef(), plugin, fn, args);
            }

            @Override
            public void importConvert(
                    CallContext ctx,
                    String type,
                    String username,
                    String password,
                    String sr,
                    Map<String, String> remoteConfig) {
                String vpx = call(ctx.sessionRef(), CONVERSION_PLUGIN, "main", Map.of());
                LOG.info("VM.import_convert: the conversion plugin names the appliance {}", vpx);
                throw new ApiError(ErrorCodes.NOT_IMPLEMENTED, "VM.import_convert through a conversion appliance");
            }
        });
    }

    @Override
    public String callPlugin(CallContext ctx, String host, String plugin, String fn, Map<String, String> args) {
        return call(ctx.sessionRef(), plugin, fn, args);
    }

    /** Runs {@code plugin}'s {@code fn} with {@code args}, passing {@code session}; the plugin's string result. */
    public String call(String session, String plugin, String fn, Map<String, String> args) {
        Path exe = find(plugin);
        String xml = new String(
                XmlRpcWriter.call(fn, List.of(session == null ? "" : session, new LinkedHashMap<>(args))),
                StandardCharsets.UTF_8);
        Run run = run(exe, xml);
        if (run.signal != null) throw failure("signal: " + run.signal, run.stdout, run.stderr);
        if (run.exit != 0) throw failure("non-zero exit", run.stdout, run.stderr);
        RpcResponse r;
        try {
            r = READER.readResponse(run.stdout.getBytes(StandardCharsets.UTF_8));
        } catch (XmlRpcParseException e) {
            throw failure("failed to parse plugin output", run.stdout, e.getMessage());
        }
        return result(r, run.stdout);
    }

    /** Xapi's {@code find_plugin}: {@code name} must be an entry of the directory. */
    private Path find(String name) {
        try (Stream<Path> entries = Files.list(dir)) {
            if (entries.anyMatch(p -> p.getFileName().toString().equals(name))) return dir.resolve(name);
        } catch (IOException e) {
            // no directory: no plugins
        }
        throw new ApiError(ErrorCodes.XENAPI_MISSING_PLUGIN, name);
    }

    /** The envelope read as Xapi's {@code XMLRPC.From.methodResponse} then {@code From.string}. */
    private static String result(RpcResponse r, String stdout) {
        boolean fault = FAULT.matcher(stdout).find();
        if (!fault && !STATUS.matcher(stdout).find()) {
            // a bare value where Xapi expects its envelope: Xapi's reader raises a run-time type error, which reaches
            // the client as an internal error
            throw ApiError.internal("XMLRPC.RunTimeTypeError: plugin output is not a XenAPI envelope: " + stdout);
        }
        if (r.success()) {
            if (r.contents() instanceof String s) return s;
            throw ApiError.internal("XMLRPC.RunTimeTypeError: plugin result is not a string: " + stdout);
        }
        List<String> desc = new ArrayList<>();
        if (r.contents() instanceof List<?> l) for (Object o : l) desc.add(String.valueOf(o));
        if (desc.isEmpty()) throw ApiError.internal("XMLRPC.RunTimeTypeError: Empty array of error strings");
        if (fault && desc.size() == 3) throw failure("fault", desc.get(1), desc.get(2));
        throw new ApiError(desc.getFirst(), desc.subList(1, desc.size()));
    }

    private static ApiError failure(String reason, String output, String log) {
        return new ApiError(ErrorCodes.XENAPI_PLUGIN_FAILURE, reason, output, log);
    }

    // ------------------------------------------------------------------ the process

    private record Run(int exit, String signal, String stdout, String stderr) {}

    private Run run(Path exe, String xml) {
        GroupProcess.Result r;
        try {
            r = GroupProcess.run(
                    List.of(exe.toString(), xml),
                    Map.of("PATH", PATH),
                    new GroupProcess.Limits(timeout, MAX_OUTPUT, MAX_OUTPUT));
        } catch (IOException e) {
            throw failure("non-zero exit", "", e.getMessage());
        }
        if ("interrupted".equals(r.killedBecause())) {
            throw ApiError.internal("interrupted while running plugin " + exe.getFileName());
        }
        if (r.killedBecause() != null) LOG.warn("plugin {}: {}, its process group killed", exe, r.killedBecause());
        // killed for its time or its output: reported as killed by SIGKILL
        String signal = r.killedBecause() != null ? "SIGKILL" : r.signal() != 0 ? signalName(r.signal()) : null;
        return new Run(
                r.exit(),
                signal,
                new String(r.stdout(), StandardCharsets.UTF_8),
                new String(r.stderr(), StandardCharsets.UTF_8));
    }

    /** OCaml's {@code Fmt.Dump.signal} names of the usual signals. */
    static String signalName(int n) {
        return switch (n) {
            case 1 -> "SIGHUP";
            case 2 -> "SIGINT";
            case 3 -> "SIGQUIT";
            case 4 -> "SIGILL";
            case 6 -> "SIGABRT";
            case 8 -> "SIGFPE";
            case 9 -> "SIGKILL";
            case 11 -> "SIGSEGV";
            case 13 -> "SIGPIPE";
            case 14 -> "SIGALRM";
            case 15 -> "SIGTERM";
            case 7 -> "SIGBUS";
            case 10 -> "SIGUSR1";
            case 12 -> "SIGUSR2";
            default -> "SIG(" + n + ")";
        };
    }
}
