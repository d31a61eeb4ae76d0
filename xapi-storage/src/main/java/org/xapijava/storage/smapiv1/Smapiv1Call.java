package org.xapijava.storage.smapiv1;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One SMAPIv1 command as Xapi sends it to a driver ({@code ocaml/xapi/sm_exec.ml}, {@code xmlrpc_of_call}): the
 * command name and one struct whose members come in Xapi's order, each present only when set:
 * {@code host_ref, command, args, device_config, session_ref, sr_sm_config, sr_ref, vdi_type, sr_uuid, vdi_ref,
 * vdi_location, vdi_uuid, driver_params, vdi_sm_config, new_uuid, subtask_of, vdi_on_boot, vdi_allow_caching,
 * local_cache_sr}. {@code host_ref}, {@code command}, {@code args} and {@code device_config} are always present.
 * Immutable; build with {@link #builder}.
 *
 * <p>{@link #toXml()} gives the exact text Xapi puts on the driver's command line (xml-light's printer: no XML
 * declaration, no whitespace, strings as untyped {@code <value>text</value>}, the empty string as
 * {@code <value/>}, empty elements self-closed, {@code < > & "} as entities, control characters other than TAB, LF
 * and CR dropped). <b>Deliberate difference:</b> CR is written {@code &#13;} (Xapi writes it raw and the driver's
 * XML parser turns it into LF), so that a value reaches the driver unchanged.
 */
public final class Smapiv1Call {
    private final String hostRef;
    private final String command;
    private final List<String> args;
    private final Map<String, String> deviceConfig;
    private final String sessionRef;
    private final Map<String, String> srSmConfig;
    private final String srRef;
    private final String vdiType;
    private final String srUuid;
    private final String vdiRef;
    private final String vdiLocation;
    private final String vdiUuid;
    private final Map<String, String> driverParams;
    private final Map<String, String> vdiSmConfig;
    private final String newUuid;
    private final String subtaskOf;
    private final String vdiOnBoot;
    private final String vdiAllowCaching;
    private final String localCacheSr;

    private Smapiv1Call(Builder b) {
        hostRef = Objects.requireNonNull(b.hostRef, "hostRef");
        command = Objects.requireNonNull(b.command, "command");
        args = List.copyOf(b.args);
        deviceConfig = copy(b.deviceConfig);
        sessionRef = b.sessionRef;
        srSmConfig = copyOrNull(b.srSmConfig);
        srRef = b.srRef;
        vdiType = b.vdiType;
        srUuid = b.srUuid;
        vdiRef = b.vdiRef;
        vdiLocation = b.vdiLocation;
        vdiUuid = b.vdiUuid;
        driverParams = copyOrNull(b.driverParams);
        vdiSmConfig = copyOrNull(b.vdiSmConfig);
        newUuid = b.newUuid;
        subtaskOf = b.subtaskOf;
        vdiOnBoot = b.vdiOnBoot;
        vdiAllowCaching = b.vdiAllowCaching;
        localCacheSr = b.localCacheSr;
    }

    private static Map<String, String> copy(Map<String, String> m) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    private static Map<String, String> copyOrNull(Map<String, String> m) {
        return m == null ? null : copy(m);
    }

    /** A call of {@code command} from host {@code hostRef} with the positional {@code args}. */
    public static Builder builder(String hostRef, String command, List<String> args) {
        return new Builder(hostRef, command, args);
    }

    public String command() {
        return command;
    }

    public List<String> args() {
        return args;
    }

    public Map<String, String> deviceConfig() {
        return deviceConfig;
    }

    /** The session ref, or null (only {@code sr_get_driver_info} goes without). */
    public String sessionRef() {
        return sessionRef;
    }

    /** The SR ref, or null. */
    public String srRef() {
        return srRef;
    }

    /** The VDI ref, or null. */
    public String vdiRef() {
        return vdiRef;
    }

    /** This call with {@code session_ref} set (Xapi fills it in at the last moment). */
    public Smapiv1Call withSession(String session) {
        Builder b = toBuilder();
        b.sessionRef = session;
        return b.build();
    }

    private Builder toBuilder() {
        Builder b = new Builder(hostRef, command, args);
        b.deviceConfig = deviceConfig;
        b.sessionRef = sessionRef;
        b.srSmConfig = srSmConfig;
        b.srRef = srRef;
        b.vdiType = vdiType;
        b.srUuid = srUuid;
        b.vdiRef = vdiRef;
        b.vdiLocation = vdiLocation;
        b.vdiUuid = vdiUuid;
        b.driverParams = driverParams;
        b.vdiSmConfig = vdiSmConfig;
        b.newUuid = newUuid;
        b.subtaskOf = subtaskOf;
        b.vdiOnBoot = vdiOnBoot;
        b.vdiAllowCaching = vdiAllowCaching;
        b.localCacheSr = localCacheSr;
        return b;
    }

    /** The {@code <methodCall>} document, UTF-8, exactly as placed in the driver's argv. */
    public String toXml() {
        StringBuilder o = new StringBuilder(512);
        o.append("<methodCall><methodName>");
        text(o, command);
        o.append("</methodName><params><param><value><struct>");
        string(o, "host_ref", hostRef);
        string(o, "command", command);
        member(o, "args");
        if (args.isEmpty()) {
            o.append("<value><array><data/></array></value>");
        } else {
            o.append("<value><array><data>");
            for (String a : args) value(o, a);
            o.append("</data></array></value>");
        }
        o.append("</member>");
        struct(o, "device_config", deviceConfig);
        string(o, "session_ref", sessionRef);
        struct(o, "sr_sm_config", srSmConfig);
        string(o, "sr_ref", srRef);
        string(o, "vdi_type", vdiType);
        string(o, "sr_uuid", srUuid);
        string(o, "vdi_ref", vdiRef);
        string(o, "vdi_location", vdiLocation);
        string(o, "vdi_uuid", vdiUuid);
        struct(o, "driver_params", driverParams);
        struct(o, "vdi_sm_config", vdiSmConfig);
        string(o, "new_uuid", newUuid);
        string(o, "subtask_of", subtaskOf);
        string(o, "vdi_on_boot", vdiOnBoot);
        string(o, "vdi_allow_caching", vdiAllowCaching);
        string(o, "local_cache_sr", localCacheSr);
        o.append("</struct></value></param></params></methodCall>");
        return o.toString();
    }

    /** {@link #toXml()} as UTF-8 bytes. */
    public byte[] toXmlBytes() {
        return toXml().getBytes(StandardCharsets.UTF_8);
    }

    private static void member(StringBuilder o, String name) {
        o.append("<member><name>");
        text(o, name);
        o.append("</name>");
    }

    private static void string(StringBuilder o, String name, String v) {
        if (v == null) return;
        member(o, name);
        value(o, v);
        o.append("</member>");
    }

    private static void struct(StringBuilder o, String name, Map<String, String> m) {
        if (m == null) return;
        member(o, name);
        if (m.isEmpty()) {
            o.append("<value><struct/></value>");
        } else {
            o.append("<value><struct>");
            for (Map.Entry<String, String> e : m.entrySet()) {
                member(o, e.getKey());
                value(o, e.getValue());
                o.append("</member>");
            }
            o.append("</struct></value>");
        }
        o.append("</member>");
    }

    private static void value(StringBuilder o, String v) {
        if (v.isEmpty()) {
            o.append("<value/>");
            return;
        }
        o.append("<value>");
        text(o, v);
        o.append("</value>");
    }

    private static void text(StringBuilder o, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> o.append("&lt;");
                case '>' -> o.append("&gt;");
                case '&' -> o.append("&amp;");
                case '"' -> o.append("&quot;");
                case '\r' -> o.append("&#13;");
                case '\t', '\n' -> o.append(c);
                default -> {
                    if (c >= 0x20) o.append(c);
                }
            }
        }
    }

    @Override
    public String toString() {
        // args may hold secrets (Xapi logs the command only)
        return "Smapiv1Call[" + command + "]";
    }

    /** Sets the optional members; each left unset is absent from the struct. */
    public static final class Builder {
        private final String hostRef;
        private final String command;
        private final List<String> args;
        private Map<String, String> deviceConfig = Map.of();
        private String sessionRef;
        private Map<String, String> srSmConfig;
        private String srRef;
        private String vdiType;
        private String srUuid;
        private String vdiRef;
        private String vdiLocation;
        private String vdiUuid;
        private Map<String, String> driverParams;
        private Map<String, String> vdiSmConfig;
        private String newUuid;
        private String subtaskOf;
        private String vdiOnBoot;
        private String vdiAllowCaching;
        private String localCacheSr;

        private Builder(String hostRef, String command, List<String> args) {
            this.hostRef = hostRef;
            this.command = command;
            this.args = List.copyOf(args);
        }

        /** The PBD's device_config, with {@code SRmaster} already added by the caller. */
        public Builder deviceConfig(Map<String, String> v) {
            deviceConfig = v;
            return this;
        }

        public Builder sessionRef(String v) {
            sessionRef = v;
            return this;
        }

        public Builder srSmConfig(Map<String, String> v) {
            srSmConfig = v;
            return this;
        }

        /** The SR: {@code sr_ref} and {@code sr_uuid}, which always travel together. */
        public Builder sr(String ref, String uuid) {
            srRef = ref;
            srUuid = uuid;
            return this;
        }

        public Builder vdiType(String v) {
            vdiType = v;
            return this;
        }

        /**
         * An existing VDI: {@code vdi_ref}, {@code vdi_location}, {@code vdi_uuid}, {@code vdi_on_boot}
         * ({@code persist}/{@code reset}) and {@code vdi_allow_caching}, which Xapi sends together.
         */
        public Builder vdi(String ref, String location, String uuid, String onBoot, boolean allowCaching) {
            vdiRef = ref;
            vdiLocation = location;
            vdiUuid = uuid;
            vdiOnBoot = onBoot;
            vdiAllowCaching = Boolean.toString(allowCaching);
            return this;
        }

        public Builder vdiLocation(String v) {
            vdiLocation = v;
            return this;
        }

        /** {@code vdi_uuid} without a VDI ref: only on {@code vdi_create}, when the caller picks the uuid. */
        public Builder vdiUuid(String v) {
            vdiUuid = v;
            return this;
        }

        public Builder driverParams(Map<String, String> v) {
            driverParams = v;
            return this;
        }

        public Builder vdiSmConfig(Map<String, String> v) {
            vdiSmConfig = v;
            return this;
        }

        public Builder newUuid(String v) {
            newUuid = v;
            return this;
        }

        public Builder subtaskOf(String v) {
            subtaskOf = v;
            return this;
        }

        public Builder localCacheSr(String v) {
            localCacheSr = v;
            return this;
        }

        public Smapiv1Call build() {
            return new Smapiv1Call(this);
        }
    }
}
