package org.xapijava.server.it;

import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.xapijava.xenopsd.sim.Simulator;

/**
 * A simulated guest that keeps writing random 4 KiB blocks of one of its disks (every 2 ms) until closed, each write
 * that returned copied into {@code model}; a write that fails (the VM has left the simulator) ends it. A write issued
 * while the VM is paused waits, so {@code model} holds exactly what the guest wrote.
 */
final class GuestWriter implements AutoCloseable {
    private static final int BLOCK = 4096;

    private final AtomicBoolean done = new AtomicBoolean();
    private final AtomicInteger writes = new AtomicInteger();
    private final CountDownLatch first = new CountDownLatch(1);
    private final Thread thread;

    private GuestWriter(Simulator sim, String vm, String device, byte[] model, long seed) {
        this.thread = Thread.ofPlatform().start(() -> {
            Random r = new Random(seed);
            byte[] block = new byte[BLOCK];
            try {
                while (!done.get()) {
                    int at = r.nextInt(model.length / BLOCK) * BLOCK;
                    r.nextBytes(block);
                    sim.guestDiskWrite(vm, device, at, block);
                    System.arraycopy(block, 0, model, at, BLOCK);
                    writes.incrementAndGet();
                    first.countDown();
                    Thread.sleep(2);
                }
            } catch (InterruptedException | RuntimeException e) {
                // the VM has left this host
            } finally {
                first.countDown();
            }
        });
    }

    /** Starts writing to disk {@code device} of VM {@code vm} and returns once the first write returned (or failed). */
    static GuestWriter start(Simulator sim, String vm, String device, byte[] model, long seed)
            throws InterruptedException {
        GuestWriter w = new GuestWriter(sim, vm, device, model, seed);
        w.first.await();
        return w;
    }

    /** How many writes returned so far. */
    int writes() {
        return writes.get();
    }

    /** Stops writing and waits for the last write to end. */
    @Override
    public void close() throws InterruptedException {
        done.set(true);
        thread.join();
    }
}
