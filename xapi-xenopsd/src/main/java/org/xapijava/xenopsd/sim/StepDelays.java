package org.xapijava.xenopsd.sim;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The simulated duration of each atomic step, by xenopsd's step names ({@link Atomic#LEAF_NAMES}, e.g.
 * {@code VM_build}); 0 unless configured ({@code --delay-ms}) or changed at run time
 * ({@code DEBUG.trigger "set-delay" [step; ms]}). Thread-safe (a concurrent map).
 */
final class StepDelays {

    private final Map<String, Long> delays = new ConcurrentHashMap<>();

    StepDelays(Map<String, Long> initial) {
        delays.putAll(initial);
    }

    /** {@link IllegalArgumentException} unless {@code name} is an atomic step's name. */
    static void checkStepName(String name) {
        if (!Atomic.LEAF_NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown atomic step '" + name + "'; known: " + Atomic.LEAF_NAMES);
        }
    }

    long millis(String step) {
        return delays.getOrDefault(step, 0L);
    }

    /** {@link IllegalArgumentException} for an unknown step or a negative duration. */
    void set(String step, long ms) {
        checkStepName(step);
        if (ms < 0) throw new IllegalArgumentException("negative");
        delays.put(step, ms);
    }
}
