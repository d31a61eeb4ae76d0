package org.xapijava.server.event;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One {@code event.from} call in progress (Xapi's {@code From.call}): its subscriptions, its session,
 * and the future it parks on. The waker completes the current future; the call installs a fresh one
 * before each look, so a wake-up between a look and the wait is never lost. Thread-safe.
 */
final class FromCall {
    final String session;
    final List<Subscription> subs;
    /** Subscribed to "*". */
    final boolean all;
    /** Lower-case classes named by class or object subscriptions. */
    final Set<String> classes;
    /** Set when the session was destroyed; the call then fails with SESSION_INVALID. */
    volatile boolean invalid;

    private volatile CompletableFuture<Void> signal = new CompletableFuture<>();

    FromCall(String session, List<Subscription> subs) {
        this.session = session;
        this.subs = subs;
        boolean a = false;
        Set<String> cs = new HashSet<>();
        for (Subscription s : subs) {
            String c = s.lowerClass();
            if (c == null) a = true;
            else cs.add(c);
        }
        this.all = a;
        this.classes = Set.copyOf(cs);
    }

    /** Installs and returns a fresh future: wake-ups from now on complete it. */
    CompletableFuture<Void> rearm() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        signal = f;
        return f;
    }

    void wake() {
        signal.complete(null);
    }

    /** Whether a subscription of this call selects one of {@code refs} of class {@code lowerCls}. */
    boolean selects(String lowerCls, Collection<String> refs) {
        for (Subscription s : subs) {
            switch (s) {
                case Subscription.All a -> {
                    return true;
                }
                case Subscription.OfClass c -> {
                    if (c.cls().equals(lowerCls)) return true;
                }
                case Subscription.OfObject o -> {
                    if (o.cls().equals(lowerCls) && refs.contains(o.ref())) return true;
                }
            }
        }
        return false;
    }
}
