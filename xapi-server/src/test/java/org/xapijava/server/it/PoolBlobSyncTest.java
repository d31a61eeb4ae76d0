package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Blob;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.Types;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * {@code host.sync_data} in a pool of two in-process hosts (the member reaches its master over HTTP only): the master's
 * blob directory copied to the member as Xapi's {@code rsync --delete -a} copies it (new and changed data with their
 * modification times, nothing else the member had), {@code other_config:last_blob_sync_time} recorded on the host;
 * the master itself and a host with {@code other_config:no_local_storage} are left alone, as in Xapi.
 */
class PoolBlobSyncTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    static TwoHostPool pool;
    static Connection c;

    @BeforeAll
    static void start() throws Exception {
        pool = TwoHostPool.start(dirA, dirB);
        c = ConcurrencySupport.login(pool.master());
    }

    @AfterAll
    static void stop() throws Exception {
        if (pool != null) pool.close();
    }

    static Host host(TestHost h) {
        return Types.toHost(h.server.services().hostRef());
    }

    static void put(Blob b, byte[] data) throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(pool.master()
                                .uri("/blob?ref=" + b.toWireString() + "&session_id=" + c.getSessionReference()))
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(data))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
    }

    /** The data files of a host's blob directory, by name. */
    static Map<String, byte[]> files(Path dataDir) throws Exception {
        try (Stream<Path> s = Files.list(dataDir.resolve("blob-files"))) {
            return s.filter(p -> !p.getFileName().toString().startsWith("."))
                    .collect(Collectors.toMap(p -> p.getFileName().toString(), p -> {
                        try {
                            return Files.readAllBytes(p);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }));
        }
    }

    @Test
    void theMastersBlobsAreCopiedToTheMemberAsRsyncDeleteCopiesThem() throws Exception {
        Host master = host(pool.master());
        Host member = host(pool.member());
        Pool p = Pool.getAll(c).iterator().next();
        Blob kept = p.createNewBlob(c, "kept", "text/plain", false);
        Blob changed = master.createNewBlob(c, "changed", "", false);
        Blob dropped = p.createNewBlob(c, "dropped", "", false);
        put(kept, "kept data".getBytes(StandardCharsets.UTF_8));
        put(changed, new byte[100_000]);
        put(dropped, "to be destroyed".getBytes(StandardCharsets.UTF_8));
        // something of the member's own that the master does not have
        Path stray = dirB.resolve("blob-files").resolve("0a0a0a0a-0000-0000-0000-000000000000");
        Files.write(stray, new byte[] {1, 2, 3});

        long before = System.currentTimeMillis() / 1000;
        member.syncData(c);
        Map<String, byte[]> onMaster = files(dirA);
        Map<String, byte[]> onMember = files(dirB);
        assertEquals(3, onMaster.size());
        assertEquals(onMaster.keySet(), onMember.keySet(), "the stray file is removed, the master's copied");
        for (String name : onMaster.keySet()) assertArrayEquals(onMaster.get(name), onMember.get(name), name);
        Path keptOnMember = dirB.resolve("blob-files").resolve(kept.getUuid(c));
        assertEquals(
                Files.getLastModifiedTime(dirA.resolve("blob-files").resolve(kept.getUuid(c)))
                        .toMillis(),
                Files.getLastModifiedTime(keptOnMember).toMillis(),
                "copied with its time, as rsync -a");
        String stamp = member.getOtherConfig(c).get("last_blob_sync_time");
        double at = Double.parseDouble(stamp);
        assertTrue(at >= before && at <= System.currentTimeMillis() / 1000.0 + 1, stamp);

        // the master itself is not synchronised, and records nothing
        master.syncData(c);
        assertFalse(master.getOtherConfig(c).containsKey("last_blob_sync_time"));

        // changed data, a destroyed blob; a file the member has with the master's size and time is left as it is
        put(changed, "now short".getBytes(StandardCharsets.UTF_8));
        dropped.destroy(c);
        FileTime keptTime = Files.getLastModifiedTime(keptOnMember);
        Files.writeString(keptOnMember, "KEPT DATA"); // same size: rsync's quick check sees no difference
        Files.setLastModifiedTime(keptOnMember, keptTime);
        member.syncData(c);
        onMember = files(dirB);
        assertEquals(Set.of(kept.getUuid(c), changed.getUuid(c)), onMember.keySet());
        assertEquals("now short", new String(onMember.get(changed.getUuid(c)), StandardCharsets.UTF_8));
        assertEquals("KEPT DATA", new String(onMember.get(kept.getUuid(c)), StandardCharsets.UTF_8));
        assertTrue(Double.parseDouble(member.getOtherConfig(c).get("last_blob_sync_time")) >= at);

        // a host without local storage is skipped, as Xapi's sync_host skips it
        member.removeFromOtherConfig(c, "last_blob_sync_time");
        member.addToOtherConfig(c, "no_local_storage", "true");
        try {
            put(changed, "not copied".getBytes(StandardCharsets.UTF_8));
            member.syncData(c);
            assertFalse(member.getOtherConfig(c).containsKey("last_blob_sync_time"));
            assertEquals(
                    "now short", Files.readString(dirB.resolve("blob-files").resolve(changed.getUuid(c))));
        } finally {
            member.removeFromOtherConfig(c, "no_local_storage");
        }
        try (Stream<Path> left = Files.list(dirB.resolve("blob-files"))) {
            assertEquals(
                    List.of(),
                    left.filter(f -> f.getFileName().toString().contains(".part-"))
                            .toList(),
                    "no upload left behind");
        }
    }
}
