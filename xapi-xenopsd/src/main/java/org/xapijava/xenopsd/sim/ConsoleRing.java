package org.xapijava.xenopsd.sim;

/**
 * The simulated hypervisor's console ring, what {@code HOST.get_console_data} reads ({@code xl dmesg} on a Xen host):
 * a few boot lines, then a line for each debug key sent ({@code HOST.send_debug_keys}), as Xen prints when a key is
 * pressed on its console. Keeps the newest 16 KiB, Xen's default {@code conring_size}. Thread-safe.
 */
final class ConsoleRing {
    static final int SIZE = 16 * 1024;

    private final StringBuilder ring = new StringBuilder();

    ConsoleRing(long memoryMib) {
        append("(XEN) Xen version 4.17 (xenopsd simulator)");
        append("(XEN) System RAM: " + memoryMib + "MB");
        append("(XEN) Brought up simulated CPUs");
        append("(XEN) Std. Loglevel: Errors and warnings");
    }

    /** Each key as Xen acknowledges it; keys it has no handler for are reported as such. */
    synchronized void debugKeys(String keys) {
        for (int i = 0; i < keys.length(); ) {
            int c = keys.codePointAt(i);
            i += Character.charCount(c);
            append("(XEN) '" + new String(Character.toChars(c)) + "' pressed -> " + handler(c));
        }
    }

    private static String handler(int key) {
        return switch (key) {
            case 'h' -> "showing installed handlers";
            case 'q' -> "dump domain (and guest debug) info";
            case 'r' -> "dump run queues";
            case 'm' -> "memory info";
            case 't' -> "display multi-cpu clock info";
            default -> "no handler";
        };
    }

    synchronized String read() {
        return ring.toString();
    }

    private synchronized void append(String line) {
        ring.append(line).append('\n');
        if (ring.length() > SIZE) ring.delete(0, ring.length() - SIZE);
    }
}
