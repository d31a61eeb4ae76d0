package org.xapijava.bench;

import java.io.OutputStream;

/**
 * Where encoders write in the benchmarks: counts the bytes and drops them, so both sides of a comparison pay
 * for encoding only (not for growing a buffer or for I/O). Not thread-safe.
 */
public final class CountingSink extends OutputStream {
    private long count;

    @Override
    public void write(int b) {
        count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        count += len;
    }

    public long count() {
        return count;
    }

    public void reset() {
        count = 0;
    }
}
