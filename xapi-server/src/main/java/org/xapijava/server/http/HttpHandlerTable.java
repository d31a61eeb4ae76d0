package org.xapijava.server.http;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.dispatch.Caller;

/**
 * Xapi's HTTP handler table ({@code http_svr.ml}, {@code xapi_http.ml add_handler}): handlers are registered under
 * the names of the datamodel's HTTP actions, each on its action's method and path; a request goes to the
 * registered action of its method with the longest path prefix, through the {@link HttpAuthentication} stage
 * unless the action is public. A known method with no matching registered action gets Xapi's default answer,
 * {@code 403 Forbidden}; a method Xapi's parser does not know (HEAD, DELETE, ...) gets {@code 501}.
 *
 * <p>Register everything before the server starts; lookups are lock-free afterwards. Runs handlers on the
 * request's (virtual) thread. Thread-safe.
 */
public final class HttpHandlerTable extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(HttpHandlerTable.class);
    /** The methods of Xapi's {@code Http.method_t} (anything else is {@code Unknown}: 501). */
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "POST", "PUT", "CONNECT", "OPTIONS");

    private record Route(HttpAction action, ActionHandler handler) {}

    private final Map<String, HttpAction> actions;
    private final HttpAuthentication auth;
    private final Set<Connector> localRootConnectors;
    private final boolean master;
    /** Per method, the registered routes, longest path first. */
    private final Map<String, List<Route>> routes = new ConcurrentHashMap<>();

    /**
     * @param actions             the datamodel's HTTP actions ({@link HttpAction#all})
     * @param localRootConnectors connectors whose callers are the local superuser (the Unix socket)
     * @param master              whether this host is the pool master (master-only actions are not served on members)
     */
    public HttpHandlerTable(
            Map<String, HttpAction> actions,
            HttpAuthentication auth,
            Set<Connector> localRootConnectors,
            boolean master) {
        this.actions = Map.copyOf(actions);
        this.auth = auth;
        this.localRootConnectors = Set.copyOf(localRootConnectors);
        this.master = master;
    }

    /**
     * Registers {@code handler} as the code of action {@code name}.
     *
     * @throws IllegalArgumentException when the datamodel has no such action or it is already registered
     */
    public void register(String name, ActionHandler handler) {
        HttpAction a = actions.get(name);
        if (a == null) throw new IllegalArgumentException("no HTTP action " + name + " in the datamodel");
        if (a.masterOnly() && !master) return;
        List<Route> l = new ArrayList<>(routes.getOrDefault(a.method(), List.of()));
        for (Route r : l) {
            if (r.action().name().equals(name)) throw new IllegalArgumentException(name + " registered twice");
        }
        l.add(new Route(a, handler));
        l.sort(Comparator.comparingInt((Route r) -> r.action().path().length()).reversed());
        routes.put(a.method(), List.copyOf(l));
    }

    /** The names of the registered actions. */
    public List<String> registered() {
        List<String> out = new ArrayList<>();
        routes.values().forEach(l -> l.forEach(r -> out.add(r.action().name())));
        return out;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String method = request.getMethod();
        if (!KNOWN_METHODS.contains(method)) {
            HttpErrors.methodNotImplemented(response, callback, method);
            return true;
        }
        Route route = route(method, Request.getPathInContext(request));
        if (route == null) {
            HttpErrors.forbidden(response, callback);
            return true;
        }
        Caller caller = caller(request, route.action());
        HttpAuthentication.Credentials creds = null;
        if (!route.action().isPublic()) {
            try {
                creds = auth.check(route.action(), request, caller);
            } catch (HttpAuthentication.Refusal r) {
                LOG.info("HTTP action {} refused ({}): {}", route.action().name(), r.status, r.getMessage());
                refuse(route.action(), r, response, callback);
                return true;
            }
        }
        try {
            route.handler()
                    .handle(new HttpCall(
                            route.action(),
                            request,
                            response,
                            callback,
                            creds == null ? null : creds.session(),
                            caller));
        } catch (ApiError e) {
            // Xapi: a Server_error escaping a handler is a 500 whose page names it
            HttpErrors.internalError(response, callback, e.code() + ": [ " + String.join("; ", e.params()) + " ]");
        } catch (Exception e) {
            LOG.warn("HTTP action {} failed", route.action().name(), e);
            HttpErrors.internalError(response, callback, e.toString());
        } finally {
            if (creds != null && creds.temporary()) auth.logout(creds.session());
        }
        return true;
    }

    /** The registered action of {@code method} whose path is the longest prefix of {@code path}, or null. */
    private Route route(String method, String path) {
        for (Route r : routes.getOrDefault(method, List.of())) {
            if (path.startsWith(r.action().path())) return r;
        }
        return null;
    }

    private static void refuse(HttpAction a, HttpAuthentication.Refusal r, Response response, Callback callback) {
        switch (r.status) {
            case 401 -> {
                response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Basic realm=\"" + a.name() + "\"");
                HttpErrors.page(response, callback, 401, HttpErrors.UNAUTHORISED);
            }
            case 403 -> HttpErrors.forbidden(response, callback);
            default -> HttpErrors.internalError(response, callback, r.getMessage());
        }
    }

    /** Who sent {@code request}: the door (the Unix socket's callers are root), address and forwarded headers. */
    Caller caller(Request request, HttpAction action) {
        Map<String, String> headers = new HashMap<>();
        for (HttpField f : request.getHeaders()) {
            String n = f.getLowerCaseName();
            if (n.equals("task-id") || n.equals("subtask-of") || n.startsWith("x-http-other-config-")) {
                headers.put(n, f.getValue());
            }
        }
        Connector c = request.getConnectionMetaData().getConnector();
        boolean local = localRootConnectors.contains(c);
        SocketAddress remote = request.getConnectionMetaData().getRemoteSocketAddress();
        String addr = remote instanceof InetSocketAddress isa ? isa.getAddress().getHostAddress() : "";
        String transport = action.name().equals("post_jsonrpc") ? "jsonrpc" : "xmlrpc";
        return new Caller(transport, addr, local, headers);
    }
}
