package org.xapijava.server.http;

import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jetty's own errors (bad request heads, oversized headers, handler failures) answered with Xapi's
 * pages ({@code http_svr.ml:read_request}, {@code handle_one}):
 * <ul>
 *   <li>request line or headers too large (Jetty 431 or 414) → Xapi's {@code 431} page;</li>
 *   <li>a request head Jetty cannot parse (any other {@link HttpException}, e.g. a 400) → Xapi's
 *       {@code 500} with "The HTTP headers could not be parsed.";</li>
 *   <li>anything else (an exception escaping a handler) → {@code 500} with the exception's text.</li>
 * </ul>
 * Every page closes the connection.
 */
public final class XapiErrorHandler extends ErrorHandler {
    private static final Logger LOG = LoggerFactory.getLogger(XapiErrorHandler.class);

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = request.getAttribute(ERROR_STATUS) instanceof Integer i ? i : 500;
        Throwable cause = request.getAttribute(ERROR_EXCEPTION) instanceof Throwable t ? t : null;
        LOG.warn(
                "HTTP {} for {} {} from {}: {}",
                status,
                request.getMethod(),
                request.getHttpURI(),
                request.getConnectionMetaData().getRemoteSocketAddress(),
                cause != null ? cause.toString() : request.getAttribute(ERROR_MESSAGE));
        if (status == 431 || status == 414) {
            HttpErrors.page(response, callback, 431, HttpErrors.HEADERS_TOO_LARGE);
        } else if (status == 408) {
            HttpErrors.page(response, callback, 408, HttpErrors.REQUEST_TIMEOUT);
        } else if (cause instanceof HttpException || (cause == null && status >= 400 && status < 500)) {
            HttpErrors.page(response, callback, 500, HttpErrors.internalErrorPage(HttpErrors.UNPARSABLE_HEADERS));
        } else {
            HttpErrors.page(
                    response, callback, 500, HttpErrors.internalErrorPage(cause == null ? null : cause.toString()));
        }
        return true;
    }
}
