package org.xapijava.server.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.errors.ApiError;

/**
 * Xapi's {@code Helpers.call_script}: runs a host tool with Xapi's {@code PATH} as its only environment and answers
 * its standard output, with Xapi's errors: a tool that is missing or not executable is the {@code Unix.access}
 * failure ({@code INTERNAL_ERROR ["Unix.Unix_error(Unix.ENOENT, \"access\", \"<path>\")"]}), one that exits with
 * another code than 0 is {@code INTERNAL_ERROR ["Subprocess exited with unexpected code N; stdout = [ ... ]; stderr =
 * [ ... ]"]}. No timeout, as Xapi's. The output goes through temporary files, so no pipe is read on the caller's
 * (virtual) thread. Stateless, thread-safe.
 */
public final class Scripts {
    private static final Logger LOG = LoggerFactory.getLogger(Scripts.class);

    private Scripts() {}

    /** Runs {@code script} with {@code args}; its standard output. */
    public static String call(Path script, List<String> args) {
        if (!Files.exists(script)) throw unixError("ENOENT", script);
        if (!Files.isExecutable(script)) throw unixError("EACCES", script);
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("xapi-script-", ".out");
            err = Files.createTempFile("xapi-script-", ".err");
            List<String> command = new ArrayList<>();
            command.add(script.toString());
            command.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectInput(
                            ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            Map<String, String> env = pb.environment();
            String path = System.getenv("PATH");
            env.clear();
            env.put("PATH", path == null ? "" : path);
            LOG.debug("about to call script without a timeout: {} {}", script, args);
            int code = pb.start().waitFor();
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            if (code != 0) {
                String stderr = Files.readString(err, StandardCharsets.UTF_8);
                LOG.debug(
                        "{} {} exited with code {} [stdout = '{}'; stderr = '{}']", script, args, code, stdout, stderr);
                throw ApiError.internal("Subprocess exited with unexpected code " + code + "; stdout = [ " + stdout
                        + " ]; stderr = [ " + stderr + " ]");
            }
            return stdout;
        } catch (IOException e) {
            throw ApiError.internal(e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal(e.toString());
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** OCaml's printing of the {@code Unix.Unix_error} that {@code Unix.access script [X_OK]} raises. */
    private static ApiError unixError(String errno, Path script) {
        return ApiError.internal("Unix.Unix_error(Unix." + errno + ", \"access\", \"" + script + "\")");
    }

    private static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.debug("could not delete {}", p, e);
        }
    }
}
