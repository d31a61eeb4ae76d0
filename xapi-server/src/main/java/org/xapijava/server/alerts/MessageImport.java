package org.xapijava.server.alerts;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.xapijava.model.rpc.Utf8Check;

/**
 * The body of Xapi's {@code PUT /messages} ({@code xapi_message.ml import_xml}, written by {@code export_xml}): a
 * sequence of message documents, each Xapi's message XML (see {@link MessageXml}, with or without an XML
 * declaration and a {@code generation}), one after the other. Every message is read before any is written, as Xapi
 * parses the whole list first: one malformed message and none is stored. Stateless.
 */
public final class MessageImport {
    private MessageImport() {}

    /** Why a body is not a list of messages. */
    public static final class MalformedBody extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedBody(String why) {
            super(why, null, false, false);
        }
    }

    private static final String END = "</message>";

    /**
     * Reads every message of {@code body} and writes each into {@code store} with its own ref, uuid and timestamp
     * ({@link MessageStore#importMessage}); a ref or uuid already held is skipped.
     *
     * @return how many messages were written
     * @throws MalformedBody when a message cannot be read (nothing is written then)
     */
    public static int importInto(MessageStore store, byte[] body) throws MalformedBody {
        List<StoredMessage> messages = read(store, body);
        int written = 0;
        for (StoredMessage m : messages) {
            if (store.importMessage(m.ref, m.uuid, m.name, m.priority, m.cls, m.objUuid, m.timestamp, m.body))
                written++;
        }
        return written;
    }

    /**
     * Xapi's {@code export_xml}: the body of a {@code PUT /messages} carrying {@code messages} (refs to records, as
     * {@code message.get} answers), one message document after the other.
     */
    public static byte[] exportXml(java.util.Map<String, java.util.Map<String, Object>> messages) {
        StringBuilder b = new StringBuilder();
        messages.forEach((ref, r) -> b.append(MessageXml.encodeRecord(ref, r)));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static List<StoredMessage> read(MessageStore store, byte[] body) throws MalformedBody {
        if (!Utf8Check.isValidUtf8(body)) throw new MalformedBody("the body is not UTF-8");
        String text = new String(body, StandardCharsets.UTF_8);
        List<StoredMessage> out = new ArrayList<>();
        int from = 0;
        while (true) {
            int end = text.indexOf(END, from);
            if (end < 0) {
                if (!text.substring(from).isBlank())
                    throw new MalformedBody("message " + (out.size() + 1) + ": no " + END);
                return out;
            }
            byte[] one = text.substring(from, end + END.length()).strip().getBytes(StandardCharsets.UTF_8);
            try {
                out.add(MessageXml.decode(one, "", 0, store.clsEnum));
            } catch (MessageXml.MalformedMessageException e) {
                throw new MalformedBody("message " + (out.size() + 1) + ": " + e.getMessage());
            }
            from = end + END.length();
        }
    }
}
