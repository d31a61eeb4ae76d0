package org.xapijava.server.alerts;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.util.AtomicFiles;

/**
 * The file I/O of a message directory ({@link MessageStore}): writing a message's file ({@link #writeMessage}),
 * writing a new file, forcing the directory, replacing a file durably, and forcing files in the background
 * ({@link #forceLater}): what several writers added within {@value #DELAY_MS} ms is forced together (side by side),
 * with one directory force for all of them, by one daemon thread started on first use; {@link #close} forces
 * whatever is still waiting before it returns, and a file removed before its turn is skipped. Thread-safe.
 */
final class MessageFiles implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MessageFiles.class);
    /** How long the thread gathers files after the first one of a round. */
    static final long DELAY_MS = 200;

    private final Path dir;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition added = lock.newCondition();
    /** Guarded by lock. */
    private final Set<Path> waiting = new LinkedHashSet<>();
    /** Guarded by lock. */
    private Thread thread;
    /** Guarded by lock. */
    private boolean closed;

    MessageFiles(Path dir) {
        this.dir = dir;
    }

    /** Writes {@code bytes} to the new file {@code p} (owner read/write only), forced to disk if {@code force}. */
    static void writeFile(Path p, byte[] bytes, boolean force) throws IOException {
        try (FileChannel ch = FileChannel.open(
                p,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) ch.write(buf);
            if (force) ch.force(true);
        }
    }

    /**
     * Writes {@code m}'s file: to a temporary file ({@link MessageStore#TEMP_PREFIX}), forced to disk if
     * {@code forceNow}, then hard-linked to its final name so that an existing file is never replaced; if a file
     * appeared under that name meanwhile, under the key {@code nextKey} gives for the next one instead. Then the
     * directory is forced now, or the file and the directory soon ({@link #forceLater}). Returns the message as
     * written.
     *
     * @param nextKey a free file key at or after the one given, marked used
     */
    StoredMessage writeMessage(StoredMessage m, boolean forceNow, LongUnaryOperator nextKey) throws IOException {
        byte[] bytes = MessageXml.encode(m);
        Path temp = dir.resolve(MessageStore.TEMP_PREFIX + m.ref.substring(m.ref.indexOf(':') + 1));
        try {
            writeFile(temp, bytes, forceNow);
            StoredMessage target = m;
            while (true) {
                try {
                    Files.createLink(dir.resolve(target.fileName), temp);
                    break;
                } catch (FileAlreadyExistsException e) {
                    target = m.withFileKey(nextKey.applyAsLong(target.fileKey + 1)); // the taken key stays used
                }
            }
            Files.delete(temp);
            if (forceNow) forceDirectory();
            else forceLater(dir.resolve(target.fileName));
            return target;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Replaces {@code target} atomically and durably (temporary file, force, rename, force directory). */
    void writeDurably(Path target, byte[] bytes) throws IOException {
        try {
            AtomicFiles.write(target, bytes);
        } catch (AtomicFiles.DirectoryNotDurableException e) {
            // some file systems cannot force a directory; the data itself was forced
            LOG.debug("Cannot force directory {}: {}", dir, e.toString());
        }
    }

    /** Forces the directory (its entries); a file system that cannot is logged, not an error. */
    void forceDirectory() {
        try {
            AtomicFiles.forceDirectory(dir);
        } catch (AtomicFiles.DirectoryNotDurableException e) {
            // some file systems cannot open or force a directory; the data itself was forced
            LOG.debug("Cannot force directory {}: {}", dir, e.toString());
        }
    }

    /** {@code file} (in the directory) is to be forced soon, and the directory after it. */
    void forceLater(Path file) {
        lock.lock();
        try {
            if (closed) {
                forceNow(List.of(file));
                return;
            }
            waiting.add(file);
            if (thread == null)
                thread = Thread.ofPlatform().daemon().name("message-forcer").start(this::run);
            added.signal();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        while (true) {
            List<Path> round;
            lock.lock();
            try {
                while (waiting.isEmpty() && !closed) added.awaitUninterruptibly();
                if (waiting.isEmpty()) return;
            } finally {
                lock.unlock();
            }
            try {
                Thread.sleep(DELAY_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            lock.lock();
            try {
                round = new ArrayList<>(waiting);
                waiting.clear();
            } finally {
                lock.unlock();
            }
            forceNow(round);
        }
    }

    /**
     * Forces {@code files}, then the directory. Several are forced side by side: the file system then commits them
     * together (on ext4 one journal commit for a round instead of one per file; 30 files forced in 40–56 ms against
     * 146–217 ms one after the other on this project's disk), which leaves the disk to the redo log sooner.
     */
    private void forceNow(List<Path> files) {
        if (files.size() == 1) {
            force(files.get(0));
        } else {
            try (ExecutorService forcers = Executors.newVirtualThreadPerTaskExecutor()) {
                for (Path f : files) forcers.execute(() -> force(f));
            } // close() waits for every force
        }
        forceDirectory();
    }

    private static void force(Path f) {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (NoSuchFileException e) {
            // removed meanwhile (the message was destroyed): nothing to keep
        } catch (IOException e) {
            LOG.warn("Cannot force message file {} to disk: {}", f, e.toString());
        }
    }

    /** Forces what is waiting and stops the thread. */
    @Override
    public void close() {
        List<Path> rest;
        Thread t;
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            rest = new ArrayList<>(waiting);
            waiting.clear();
            t = thread;
            added.signal();
        } finally {
            lock.unlock();
        }
        if (!rest.isEmpty()) forceNow(rest);
        if (t != null) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
