package org.xapijava.model.types;

import java.util.Objects;

/**
 * A XenAPI type, as the datamodel writes it ({@code string}, {@code VM ref}, {@code (string -> string) map}, ...).
 *
 * <p>Java representation of values of each type (used by the codecs, the database and the dispatcher):
 * <ul>
 *   <li>{@code string}, enums and refs: {@link String} (enums in their exact datamodel spelling, refs as
 *       {@code OpaqueRef:...});</li>
 *   <li>{@code int}: {@link Long}; {@code float}: {@link Double}; {@code bool}: {@link Boolean};
 *       {@code datetime}: {@link DateTime};</li>
 *   <li>sets: {@link java.util.List}; maps: {@link java.util.Map} (insertion ordered);
 *       records: {@code Map<String, Object>} keyed by wire field name, in datamodel field order;</li>
 *   <li>option: {@code null} for None, else the value.</li>
 * </ul>
 * Instances are immutable and compare by structure; {@link #toString()} gives the datamodel spelling.
 */
public sealed interface XType {

    /** Primitive kinds; {@code VOID} only appears as a message result. */
    enum Kind {
        STRING,
        INT,
        FLOAT,
        BOOL,
        DATETIME,
        VOID
    }

    record Prim(Kind kind) implements XType {
        public Prim {
            Objects.requireNonNull(kind);
        }

        @Override
        public String toString() {
            return kind.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** An enumeration, by datamodel name (e.g. {@code vm_power_state}); its values are in the datamodel. */
    record EnumType(String name) implements XType {
        public EnumType {
            Objects.requireNonNull(name);
        }

        @Override
        public String toString() {
            return "enum " + name;
        }
    }

    /** A reference to an object of class {@code cls}. */
    record RefType(String cls) implements XType {
        public RefType {
            Objects.requireNonNull(cls);
        }

        @Override
        public String toString() {
            return cls + " ref";
        }
    }

    record SetType(XType element) implements XType {
        public SetType {
            Objects.requireNonNull(element);
        }

        @Override
        public String toString() {
            return element + " set";
        }
    }

    record MapType(XType key, XType value) implements XType {
        public MapType {
            Objects.requireNonNull(key);
            Objects.requireNonNull(value);
        }

        @Override
        public String toString() {
            return "(" + key + " -> " + value + ") map";
        }
    }

    /**
     * The record of class {@code cls} (its client-visible fields). {@code <class> record} (the snapshot of
     * an event, a record of whichever class the event is about) has {@code cls} = {@value #ANY_CLASS}.
     */
    record RecordType(String cls) implements XType {
        public RecordType {
            Objects.requireNonNull(cls);
        }

        @Override
        public String toString() {
            return cls + " record";
        }
    }

    record OptionType(XType inner) implements XType {
        public OptionType {
            Objects.requireNonNull(inner);
        }

        @Override
        public String toString() {
            return inner + " option";
        }
    }

    /** The class name of {@code <class> record}. */
    String ANY_CLASS = "<class>";

    XType STRING = new Prim(Kind.STRING);
    XType INT = new Prim(Kind.INT);
    XType FLOAT = new Prim(Kind.FLOAT);
    XType BOOL = new Prim(Kind.BOOL);
    XType DATETIME = new Prim(Kind.DATETIME);
    XType VOID = new Prim(Kind.VOID);

    /** Parses the datamodel spelling of a type; see {@link TypeParser}. */
    static XType parse(String text) {
        return TypeParser.parse(text);
    }
}
