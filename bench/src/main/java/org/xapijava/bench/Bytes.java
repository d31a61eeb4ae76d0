package org.xapijava.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A JMH secondary result: bytes encoded or decoded per second ({@code ·bytes} in the output, in "ops/s"
 * that are bytes/s). A benchmark method takes it as a parameter and adds the size of each document.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Bytes {
    public long bytes;

    @Setup(Level.Iteration)
    public void clear() {
        bytes = 0;
    }
}
