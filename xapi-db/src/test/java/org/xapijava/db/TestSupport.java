package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.function.Executable;
import org.xapijava.db.persist.CommitLog;
import org.xapijava.db.persist.DeltaBatch;
import org.xapijava.model.Datamodel;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

final class TestSupport {
    static final Datamodel DM = Datamodel.get();

    private TestSupport() {}

    static String vm(Database db, String label) {
        String ref = Refs.fresh();
        db.create("VM", ref, Map.of("uuid", UUID.randomUUID().toString(), "name_label", label));
        return ref;
    }

    static String vbd(Database db, String vm, String vdi) {
        String ref = Refs.fresh();
        db.create("VBD", ref, Map.of("uuid", UUID.randomUUID().toString(), "VM", vm, "VDI", vdi));
        return ref;
    }

    static String vdi(Database db, String label) {
        String ref = Refs.fresh();
        db.create("VDI", ref, Map.of("uuid", UUID.randomUUID().toString(), "name_label", label));
        return ref;
    }

    static ApiError apiError(Executable e, String... description) {
        ApiError err = assertThrows(ApiError.class, e);
        assertEquals(List.of(description), err.description());
        return err;
    }

    /** An in-memory CommitLog whose durability the test controls. */
    static final class FakeLog implements CommitLog {
        final List<DeltaBatch> batches = new ArrayList<>();
        final List<Long> checkpoints = new ArrayList<>();
        private long next = 1;
        private long durable;
        private LongConsumer listener;
        volatile boolean autoDurable;
        volatile IOException failure;

        @Override
        public synchronized long append(DeltaBatch batch) {
            batches.add(batch);
            long t = next++;
            if (autoDurable) Thread.startVirtualThread(() -> release(t));
            return t;
        }

        @Override
        public synchronized void awaitDurable(long ticket) throws IOException, InterruptedException {
            while (durable < ticket) {
                if (failure != null) throw failure;
                wait();
            }
        }

        /** Makes everything up to {@code ticket} durable (the log's writer thread would). */
        void release(long ticket) {
            LongConsumer l;
            synchronized (this) {
                if (ticket <= durable) return;
                durable = ticket;
                l = listener;
            }
            if (l != null) l.accept(ticket);
            synchronized (this) {
                notifyAll();
            }
        }

        synchronized void fail(IOException e) {
            failure = e;
            notifyAll();
        }

        synchronized long lastTicket() {
            return next - 1;
        }

        @Override
        public synchronized void setDurableListener(LongConsumer listener) {
            this.listener = listener;
        }

        @Override
        public synchronized void checkpoint(long generation) {
            checkpoints.add(generation);
        }

        @Override
        public void close() {}
    }
}
