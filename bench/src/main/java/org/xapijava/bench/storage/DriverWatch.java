package org.xapijava.bench.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts the SMAPIv1 driver processes a host's JVM runs, by command, from outside and without changing the host:
 * a platform thread reads {@code /proc/<jvm>/task/<tid>/children} every millisecond and, for each new child, its
 * command line until it holds the driver's {@code <methodName>} (a child starts as the JDK's spawn helper, then
 * {@code setsid}, then the driver). A Python driver lives tens of milliseconds, so none is missed; a child that
 * never shows a method name (the host runs nothing else as a direct child) is not counted. Costs CPU while it
 * runs: used for counting passes only, never while timing.
 */
final class DriverWatch implements AutoCloseable {
    private static final Pattern METHOD = Pattern.compile("<methodName>([^<]+)</methodName>");

    private final Path tasks;
    private final Set<Long> counted = new HashSet<>();
    private final Set<Long> pending = new HashSet<>();
    private final Map<String, Integer> commands = new TreeMap<>();
    private final Thread thread;
    private volatile boolean stop;

    DriverWatch(long jvmPid) {
        this.tasks = Path.of("/proc", Long.toString(jvmPid), "task");
        this.thread = Thread.ofPlatform().daemon().name("driver-watch").start(this::run);
    }

    private void run() {
        while (!stop) {
            poll();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                return;
            }
        }
        poll();
    }

    private void poll() {
        Set<Long> now = new HashSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tasks)) {
            for (Path t : ds) {
                try {
                    String c = Files.readString(t.resolve("children")).trim();
                    if (c.isEmpty()) continue;
                    for (String pid : c.split(" ")) now.add(Long.parseLong(pid));
                } catch (IOException | NumberFormatException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return;
        }
        synchronized (this) {
            pending.retainAll(now);
            for (long pid : now) {
                if (counted.contains(pid)) continue;
                String cmd = commandOf(pid);
                if (cmd == null) {
                    pending.add(pid);
                } else {
                    pending.remove(pid);
                    counted.add(pid);
                    commands.merge(cmd, 1, Integer::sum);
                }
            }
        }
    }

    private static String commandOf(long pid) {
        try {
            byte[] b = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            Matcher m = METHOD.matcher(new String(b, StandardCharsets.UTF_8));
            return m.find() ? m.group(1) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** The driver commands seen since the last call, by name, and forgets them. */
    synchronized Map<String, Integer> drain() {
        Map<String, Integer> r = new TreeMap<>(commands);
        commands.clear();
        return r;
    }

    /** Waits a little for the last children, then stops. */
    @Override
    public void close() throws InterruptedException {
        Thread.sleep(20);
        stop = true;
        thread.join();
    }

    static int total(Map<String, Integer> m) {
        return m.values().stream().mapToInt(Integer::intValue).sum();
    }
}
