package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.xensource.xenapi.VM;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.xapijava.db.Update;
import org.xapijava.model.Field;
import org.xapijava.server.TestHost;
import org.xapijava.server.it.OperationTableSdkTest.Kind;

/**
 * An operation table of VM messages written as data ({@link Msg}: how a message is called, the error it must
 * answer on a subject, what a success changes): every message on every subject in every power state, each cell
 * either succeeding, its effect checked and undone, or failing with exactly the expected error while the VM's whole
 * record stays as it was and nothing is left marked. The subjects are {@link VmSubjects}.
 */
final class VmTable {
    /** One cell's view of its subject. */
    record Subject(Kind kind, String state, VM vm, String ref, Map<String, Object> before) {
        boolean template() {
            return Boolean.TRUE.equals(before.get("is_a_template"));
        }

        long num(String field) {
            return (Long) before.get(field);
        }
    }

    @FunctionalInterface
    interface Call {
        Object run(Subject s) throws Exception;
    }

    @FunctionalInterface
    interface Expect {
        /** The error of the call, or null when it succeeds. */
        List<String> of(Subject s);
    }

    @FunctionalInterface
    interface Effect {
        /** Checks what a successful call did, given its result and the record after it. */
        void check(Subject s, Object result, Map<String, Object> after) throws Exception;
    }

    /**
     * A message: how it is called, what it answers, what it changes (checked, then the {@code restore} fields are put
     * back as they were).
     */
    record Msg(String name, Call call, Expect expect, Effect effect, List<String> restore) {}

    /** What a table adds to each cell. */
    interface Hooks {
        /** After a refused call, besides the record being unchanged. */
        default void refused(Subject s) throws Exception {}

        /**
         * After a successful call's effect was checked: true when the hook has dealt with the subject (discarded it),
         * false to have the message's {@code restore} fields put back.
         */
        default boolean succeeded(Subject s, Msg m) throws Exception {
            return false;
        }

        /** After the restore of a successful call. */
        default void restored(Subject s) throws Exception {}
    }

    private final TestHost host;
    private final ConcurrencySupport.Recording c;
    final VmSubjects subjects;
    private final Hooks hooks;

    VmTable(TestHost host, ConcurrencySupport.Recording c, VmSubjects subjects, Hooks hooks) {
        this.host = host;
        this.c = c;
        this.subjects = subjects;
        this.hooks = hooks;
    }

    /** A dynamic test per message, subject and power state. */
    Stream<DynamicTest> tests(Map<Kind, List<String>> states, List<Msg> messages) {
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<Kind, List<String>> e : states.entrySet()) {
            for (String state : e.getValue()) {
                for (Msg m : messages) {
                    String name = e.getKey().label + " " + state + ": VM." + m.name();
                    tests.add(DynamicTest.dynamicTest(name, () -> cell(name, e.getKey(), state, m)));
                }
            }
        }
        return tests.stream();
    }

    private void cell(String name, Kind kind, String state, Msg m) throws Exception {
        VM vm = subjects.subject(kind, state);
        String ref = vm.toWireString();
        assertEquals(state, vm.getPowerState(c).toString().toLowerCase(Locale.ROOT), name + ": the subject's state");
        Subject s = new Subject(kind, state, vm, ref, record(ref));
        List<String> want = m.expect().of(s);
        Object[] result = new Object[1];
        List<String> got =
                ConcurrencySupport.errorOf(c, () -> result[0] = m.call().run(s));
        assertEquals(want, got, name + ": outcome (null = success)");
        ConcurrencySupport.assertNothingMarked(host);
        Map<String, Object> after = record(ref);
        if (got != null) {
            assertEquals(s.before(), after, name + ": a refused call changes nothing");
            hooks.refused(s);
            return;
        }
        m.effect().check(s, result[0], after);
        if (hooks.succeeded(s, m)) return;
        restore(ref, s.before(), m.restore());
        hooks.restored(s);
    }

    /** The VM's database record, as clients see it. */
    Map<String, Object> record(String ref) {
        return host.server.services().data().record(org.xapijava.model.api.VM.XAPI_CLASS, ref);
    }

    /** Puts the listed fields back as they were, in one step, and recomputes the VM's allowed operations. */
    void restore(String ref, Map<String, Object> before, List<String> fields) {
        if (fields.isEmpty()) return;
        Update.Builder u = Update.builder();
        for (String f : fields) u.set(ref, new Field<>(org.xapijava.model.api.VM.XAPI_CLASS, f), before.get(f));
        host.server.services().data().apply(u.build());
        host.server.services().allowed().update(org.xapijava.model.api.VM.XAPI_CLASS, ref);
    }
}
