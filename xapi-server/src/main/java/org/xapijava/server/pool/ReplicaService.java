package org.xapijava.server.pool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.db.LocalDb;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.ops.AllowedOperations;

/**
 * The master's half of {@link MasterLink}: a member's write ({@code Apply}: an {@link UpdateJson} update applied
 * atomically) and its request to recompute allowed operations ({@code Update_allowed_operations}), each answered
 * with the master's published generation once committed: {@code {"ok": generation}}, or {@code {"error": [code,
 * params...]}} (a XenAPI error), {@code {"conflict": text}} (an optimistic precondition failed), {@code {"bad":
 * text}} (a request this master does not understand; nothing done). An {@code Apply} may carry an id as its third
 * element: a member sends a write again when it could not tell whether it arrived ({@link HttpMasterLink}), and the
 * master runs each id once, answering a repeat (while it is among the last {@value #REMEMBERED}) with the first
 * answer. Thread-safe.
 */
public final class ReplicaService {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaService.class);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final Database database;
    private final LocalDb db;
    private final AllowedOperations allowed;
    /** How many {@code Apply} ids (and answers) the master remembers. */
    static final int REMEMBERED = 4096;
    /** The last ids' answers, the oldest first; a repeat waits for the first run's answer. Guarded by itself. */
    private final java.util.LinkedHashMap<String, java.util.concurrent.CompletableFuture<ObjectNode>> ran =
            new java.util.LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(
                        Map.Entry<String, java.util.concurrent.CompletableFuture<ObjectNode>> eldest) {
                    return size() > REMEMBERED;
                }
            };

    public ReplicaService(Database database, AllowedOperations allowed) {
        this.database = database;
        this.db = new LocalDb(database);
        this.allowed = allowed;
    }

    /** Runs one request ({@code ["Apply", update(, id)]} or {@code ["Update_allowed_operations", cls, ref]}). */
    public ObjectNode handle(JsonNode request) {
        String id = request.isArray()
                        && request.size() > 2
                        && "Apply".equals(request.get(0).asText())
                        && request.get(2).isTextual()
                ? request.get(2).asText()
                : null;
        if (id == null) return run(request);
        java.util.concurrent.CompletableFuture<ObjectNode> mine = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<ObjectNode> first;
        synchronized (ran) {
            first = ran.putIfAbsent(id, mine);
        }
        if (first != null) {
            LOG.debug("a member sent its write {} again: answered as the first time", id);
            return first.join().deepCopy();
        }
        try {
            ObjectNode out = run(request);
            mine.complete(out.deepCopy());
            return out;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        }
    }

    private ObjectNode run(JsonNode request) {
        ObjectNode out = F.objectNode();
        try {
            if (!request.isArray() || request.isEmpty()) throw new IllegalArgumentException("expected [name, args...]");
            switch (request.get(0).asText()) {
                case "Apply" -> db.apply(UpdateJson.decode(request.get(1)));
                case "Update_allowed_operations" ->
                    allowed.update(request.get(1).asText(), request.get(2).asText());
                default -> throw new IllegalArgumentException("unknown request " + request.get(0));
            }
            out.put("ok", database.generation());
        } catch (ApiError e) {
            ArrayNode err = out.putArray("error").add(e.code());
            for (String p : e.params()) err.add(p);
        } catch (Db.Conflict e) {
            out.put("conflict", e.getMessage());
        } catch (IllegalArgumentException | NullPointerException | ClassCastException e) {
            LOG.warn("refused a member's database request: {}", e.toString());
            out.put("bad", String.valueOf(e.getMessage()));
        }
        return out;
    }

    /** The member's side: the answer of {@link #handle} as a generation, or the error it carries. */
    public static long result(JsonNode answer) {
        if (answer.has("ok")) return answer.get("ok").asLong();
        if (answer.has("error")) {
            JsonNode e = answer.get("error");
            java.util.List<String> ps = new java.util.ArrayList<>();
            for (int i = 1; i < e.size(); i++) ps.add(e.get(i).asText());
            throw new ApiError(e.get(0).asText(), ps);
        }
        if (answer.has("conflict")) throw new Db.Conflict(answer.get("conflict").asText());
        throw ApiError.internal(
                "the master refused a database request: " + answer.path("bad").asText(answer.toString()));
    }
}
