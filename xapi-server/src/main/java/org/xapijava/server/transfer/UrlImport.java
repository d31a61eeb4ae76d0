package org.xapijava.server.transfer;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.http.HttpStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.SR;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * {@code VM.import} as Xapi's {@code xapi_vm.ml import}: the XVA at {@code url} ({@code http} or {@code https}, the
 * JDK's trusted certificates checked) fetched with a {@code GET} and imported into {@code sr} as {@code PUT /import}
 * does ({@link VmImport#importStream}; {@code full_restore} keeps the archive's uuids and MACs, {@code force} skips
 * the checksums and keeps what a failure made); the call's result is the new VMs. Redirections are followed, at most
 * {@link #MAX_REDIRECTS} of them ({@code IMPORT_ERROR ["Maximum redirect limit reached"]}); one without a
 * {@code Location} is {@code IMPORT_ERROR ["Redirect with no new location"]}; any other status than 200 is
 * {@code IMPORT_ERROR ["<code> <reason>"]}. The forwarding stage runs the call on a host with the SR plugged
 * ({@code choose_pbd_for_sr}). Unlike Xapi's, the transfer ends when its task is cancelled ({@code TASK_CANCELLED})
 * or the server sends nothing for {@link #IDLE} ({@code IMPORT_ERROR}), what it made undone. Thread-safe.
 */
public final class UrlImport implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(UrlImport.class);
    /** Xapi's {@code max_redirects}. */
    static final int MAX_REDIRECTS = 5;
    /** How long the server may send nothing before the import gives up (Xapi waits as long as it takes). */
    static final Duration IDLE = Duration.ofSeconds(60);

    private final Db data;
    private final VmImport importer;
    private final HttpClient http = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(30))
            .build();

    UrlImport(Db data, VmImport importer) {
        this.data = data;
        this.importer = importer;
    }

    @Override
    public void bind(MessageTable table) {
        VMApi.bind(table, new VMApi() {
            @Override
            public List<String> import_(CallContext ctx, String url, String sr, boolean fullRestore, boolean force) {
                return importFrom(ctx, url, sr, fullRestore, force);
            }
        });
    }

    List<String> importFrom(CallContext ctx, String url, String sr, boolean fullRestore, boolean force) {
        data.get(sr, SR.CONTENT_TYPE); // HANDLE_INVALID for an SR that is not there
        if (ctx.taskRef() == null) throw ApiError.internal("VM.import runs without a task");
        URI uri = openable(parse(url));
        for (int n = 0; ; n++) {
            if (n > MAX_REDIRECTS) throw generic("Maximum redirect limit reached");
            HttpResponse<InputStream> r = get(uri);
            int status = r.statusCode();
            if (status == 200) {
                Watched body = new Watched(r.body(), ctx, IDLE);
                try (body) {
                    // its own calls under tasks of their own: undoing what it made must work once its task is cancelled
                    return importer.importStream(body, ctx.taskRef(), ctx.apiInOwnTask(), sr, fullRestore, force);
                } catch (IOException | ApiError e) {
                    if (body.why == Cut.CANCELLED) throw new ApiError(ErrorCodes.TASK_CANCELLED, ctx.taskRef());
                    if (body.why == Cut.IDLE) throw generic("no data from " + uri.getHost() + " for " + IDLE);
                    throw e instanceof ApiError a ? a : VmImport.importError(e);
                }
            }
            close(r);
            if (status < 300 || status >= 400) throw generic(status + " " + HttpStatus.getMessage(status));
            Optional<String> location = r.headers().firstValue("Location");
            if (location.isEmpty()) throw generic("Redirect with no new location");
            uri = openable(uri.resolve(parse(location.get())));
            LOG.info("VM.import redirected to {}", uri.getHost());
        }
    }

    private HttpResponse<InputStream> get(URI uri) {
        try {
            return http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException | IllegalArgumentException e) {
            throw generic("Cannot reach " + uri.getScheme() + "://" + uri.getAuthority() + ": " + why(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw generic("interrupted");
        }
    }

    /** {@code url}, which may be relative to the URL it came from (a redirection's). */
    private static URI parse(String url) {
        try {
            return new URI(url);
        } catch (URISyntaxException e) {
            throw generic("Failed to parse URI: " + url);
        }
    }

    /** {@code uri} if Xapi's {@code Open_uri} can open it, else its text for why not. */
    private static URI openable(URI uri) {
        String url = uri.toString();
        String scheme = uri.getScheme();
        if (scheme == null) throw generic("Failed to parse URI: " + url);
        if (!scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https"))
            throw generic("Unsupported URI scheme: " + scheme);
        if (uri.getHost() == null) throw generic("Failed to parse host and port from URI: " + url);
        return uri;
    }

    /** Why a connection failed, in words rather than the JDK's exception class. */
    private static String why(Exception e) {
        if (e instanceof java.net.ConnectException) return "Connection refused";
        if (e instanceof java.net.http.HttpConnectTimeoutException) return "Connection timed out";
        if (e instanceof java.nio.channels.UnresolvedAddressException
                || e.getCause() instanceof java.nio.channels.UnresolvedAddressException)
            return "Name or service not known";
        String m = e.getMessage();
        return m == null || m.isEmpty() ? "connection failed" : m;
    }

    private static void close(HttpResponse<InputStream> r) {
        try {
            r.body().close();
        } catch (IOException e) {
            // nothing more to read from it
        }
    }

    /** Xapi's {@code import_error_generic}. */
    private static ApiError generic(String why) {
        return OvaXml.generic(why);
    }

    /** Why a body was cut. */
    private enum Cut {
        CANCELLED,
        IDLE
    }

    /**
     * The body, cut (closed, which ends a blocked read) when the call's task is cancelled or no byte came for
     * {@code idle}: a cancellation or a stalled server ends the import instead of holding it.
     */
    private static final class Watched extends FilterInputStream {
        private volatile long last = System.nanoTime();
        volatile Cut why;
        private final Thread watcher;

        Watched(InputStream in, CallContext ctx, Duration idle) {
            super(in);
            watcher = Thread.ofVirtual().name("VM.import watch").start(() -> {
                try {
                    while (why == null) {
                        Thread.sleep(250);
                        try {
                            ctx.checkCancelled();
                        } catch (ApiError cancelled) {
                            cut(Cut.CANCELLED);
                        }
                        if (why == null && System.nanoTime() - last > idle.toNanos()) cut(Cut.IDLE);
                    }
                } catch (InterruptedException done) {
                    // the import is over
                }
            });
        }

        private void cut(Cut reason) {
            why = reason;
            try {
                in.close();
            } catch (IOException e) {
                // cut all the same
            }
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            last = System.nanoTime();
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            last = System.nanoTime();
            return n;
        }

        @Override
        public void close() throws IOException {
            watcher.interrupt();
            super.close();
        }
    }
}
