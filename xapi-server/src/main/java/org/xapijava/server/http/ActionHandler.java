package org.xapijava.server.http;

/**
 * The code of one HTTP action ({@code /export}, {@code /cli}, ...), registered in the {@link HttpHandlerTable}
 * under the action's name. It runs after the table's authentication stage, on a virtual thread, and must
 * complete the call's callback (by writing a response or failing it). An exception escaping it is answered
 * as Xapi answers one (HTTP 500 with the error).
 */
@FunctionalInterface
public interface ActionHandler {
    void handle(HttpCall call) throws Exception;
}
