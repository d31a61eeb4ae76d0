package org.xapijava.server.transfer;

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
 * ({@code choose_pbd_for_sr}). Thread-safe.
 */
public final class UrlImport implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(UrlImport.class);
    /** Xapi's {@code max_redirects}. */
    static final int MAX_REDIRECTS = 5;

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
        URI uri = parse(url);
        for (int n = 0; ; n++) {
            if (n > MAX_REDIRECTS) throw generic("Maximum redirect limit reached");
            HttpResponse<InputStream> r = get(uri);
            int status = r.statusCode();
            if (status == 200) {
                try (InputStream body = r.body()) {
                    return importer.importStream(body, ctx.taskRef(), ctx.api(), sr, fullRestore, force);
                } catch (IOException e) {
                    throw VmImport.importError(e);
                }
            }
            close(r);
            if (status < 300 || status >= 400) throw generic(status + " " + HttpStatus.getMessage(status));
            Optional<String> location = r.headers().firstValue("Location");
            if (location.isEmpty()) throw generic("Redirect with no new location");
            uri = uri.resolve(parse(location.get()));
            LOG.info("VM.import redirected to {}", uri.getHost());
        }
    }

    private HttpResponse<InputStream> get(URI uri) {
        try {
            return http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException | IllegalArgumentException e) {
            throw generic("Cannot reach " + uri.getScheme() + "://" + uri.getAuthority() + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw generic("interrupted");
        }
    }

    private static URI parse(String url) {
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme();
            if (scheme != null && !scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https"))
                throw generic("Unsupported URI scheme: " + scheme);
            return uri;
        } catch (URISyntaxException e) {
            throw generic("Invalid URI: " + e.getMessage());
        }
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
}
