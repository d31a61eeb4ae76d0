package org.xapijava.model;

import java.util.List;
import org.xapijava.model.types.XType;

/**
 * One message (API call) of a class.
 *
 * @param cls          the class name
 * @param name         the message name ({@code start}, {@code get_name_label})
 * @param kind         explicit or which implicit kind
 * @param field        for field-bound implicit messages (getters, setters, add/remove), the field's wire name
 * @param params       parameters in wire order, including the leading {@code session_id} unless {@code sessionless}
 * @param result       result type ({@link XType#VOID} for none)
 * @param errors       error codes the datamodel documents for it
 * @param roles        roles allowed to call it (empty: local superuser only)
 * @param async        whether {@code Async.<wire name>} is accepted
 * @param sessionless  whether it takes no session (login calls)
 * @param hidden       absent from the published documentation (hidden/internal messages)
 * @param poolInternal callable only with a pool (intra-pool) session
 * @param lifecycle    lifecycle state; {@link Lifecycle#REMOVED} messages answer {@code MESSAGE_REMOVED}
 * @param mapKeyRoles  map-key permissions of this message
 */
public record MessageDef(
        String cls,
        String name,
        MessageKind kind,
        String field,
        List<ParamDef> params,
        XType result,
        List<String> errors,
        List<String> roles,
        boolean async,
        boolean sessionless,
        boolean hidden,
        boolean poolInternal,
        Lifecycle lifecycle,
        List<MapKeyRole> mapKeyRoles) {

    public MessageDef {
        params = List.copyOf(params);
        errors = List.copyOf(errors);
        roles = List.copyOf(roles);
        mapKeyRoles = List.copyOf(mapKeyRoles);
    }

    /** {@code Class.name}, the synchronous wire name. */
    public String wireName() {
        return cls + "." + name;
    }

    /** Parameters after the session parameter (what clients count in parameter-count errors). */
    public List<ParamDef> callParams() {
        return sessionless ? params : params.subList(1, params.size());
    }

    public boolean isImplicit() {
        return kind != MessageKind.EXPLICIT;
    }
}
