package org.xapijava.server.auth;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.PointerByReference;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link Authenticator} on the system's PAM library, called through JNA the way Xapi's C stub
 * ({@code ocaml/auth/xa_auth.c}) calls it:
 * <ul>
 *   <li>authenticate: {@code pam_start(service, user)}, {@code pam_authenticate} and
 *       {@code pam_acct_mgmt} (both with {@code PAM_DISALLOW_NULL_AUTHTOK}), {@code pam_end};</li>
 *   <li>change password: {@code pam_start(service, user)}, {@code pam_chauthtok(0)}, {@code pam_end};
 *       every password prompt is answered with the new password (run as root, {@code pam_unix} asks
 *       no old password);</li>
 *   <li>the conversation answers {@code PAM_PROMPT_ECHO_ON} with the user name,
 *       {@code PAM_PROMPT_ECHO_OFF} with the password, and fails ({@code PAM_CONV_ERR}) on any other
 *       message, informational ones included;</li>
 *   <li>a failure carries the English {@code pam_strerror} text of the failing code
 *       ({@link PamStatus#text}): a wrong password gives "Authentication failure".</li>
 * </ul>
 * Every native call runs on a bounded pool of platform threads ({@link AuthPool}), never on the
 * caller's thread; callers block until their turn. Thread-safe. {@link #close()} stops the pool.
 *
 * <p>Loading needs {@code libpam.so.0} (and {@code libc}); the constructor fails with an
 * {@link UnsatisfiedLinkError} when it is missing.
 */
public final class PamAuthenticator implements Authenticator, AutoCloseable {

    /** Xapi's PAM service name ({@code SERVICE_NAME} in xa_auth.c). */
    public static final String DEFAULT_SERVICE = "xapi";

    private static final int PAM_PROMPT_ECHO_OFF = 1;
    private static final int PAM_PROMPT_ECHO_ON = 2;
    private static final int PAM_DISALLOW_NULL_AUTHTOK = 0x0001;

    /** {@code struct pam_response { char *resp; int resp_retcode; }}: a pointer and an int, padded to pointer alignment. */
    private static final long RESPONSE_SIZE = 2L * Native.POINTER_SIZE;

    /** The PAM library, as loaded once for the process. */
    interface LibPam extends Library {
        int pam_start(Pointer service, Pointer user, PamConv conv, PointerByReference pamh);

        int pam_authenticate(Pointer pamh, int flags);

        int pam_acct_mgmt(Pointer pamh, int flags);

        int pam_chauthtok(Pointer pamh, int flags);

        int pam_end(Pointer pamh, int status);

        String pam_strerror(Pointer pamh, int errnum);
    }

    /** The C library: PAM frees what the conversation returns, so it must come from malloc/calloc. */
    interface LibC extends Library {
        Pointer calloc(NativeLong count, NativeLong size);

        void free(Pointer p);
    }

    /** {@code int (*conv)(int num_msg, const struct pam_message **msg, struct pam_response **resp, void *appdata_ptr)}. */
    public interface ConvFunction extends Callback {
        int invoke(int numMsg, Pointer msg, Pointer resp, Pointer appdata);
    }

    /** {@code struct pam_conv}. */
    @Structure.FieldOrder({"conv", "appdata_ptr"})
    public static final class PamConv extends Structure {
        public ConvFunction conv;
        public Pointer appdata_ptr;
    }

    /** What the conversation answers during one PAM transaction (NUL-free UTF-8). */
    private record Answers(byte[] user, byte[] secret) {
        void wipe() {
            Arrays.fill(secret, (byte) 0);
        }
    }

    private static final class Natives {
        static final LibPam PAM = loadPam();
        static final LibC C = Native.load("c", LibC.class);
        /** One conversation function for the process; JNA keeps its native stub while this reference lives. */
        static final ConvFunction CONVERSATION = PamAuthenticator::converse;

        private static LibPam loadPam() {
            try {
                return Native.load("libpam.so.0", LibPam.class);
            } catch (UnsatisfiedLinkError e) {
                return Native.load("pam", LibPam.class);
            }
        }
    }

    /** Transactions in progress, by the key passed to the conversation as its {@code appdata_ptr}. */
    private static final Map<Long, Answers> TRANSACTIONS = new ConcurrentHashMap<>();

    private static final AtomicLong NEXT_KEY = new AtomicLong(1);

    private final String service;
    private final AuthPool pool;

    /** Service {@value #DEFAULT_SERVICE}, {@value AuthPool#DEFAULT_SIZE} worker threads. */
    public PamAuthenticator() {
        this(DEFAULT_SERVICE, AuthPool.DEFAULT_SIZE);
    }

    /**
     * @param service the PAM service (file in {@code /etc/pam.d})
     * @param maxThreads the most PAM transactions running at once (Xapi's
     *        {@code pool.local_auth_max_threads}), at least 1
     * @throws UnsatisfiedLinkError when libpam cannot be loaded
     */
    public PamAuthenticator(String service, int maxThreads) {
        this.service = Objects.requireNonNull(service, "service");
        Objects.requireNonNull(Natives.PAM);
        this.pool = new AuthPool("pam-auth", maxThreads);
    }

    /** The PAM service name. */
    public String service() {
        return service;
    }

    /** Changes the most PAM transactions running at once (Xapi: {@code pool.local_auth_max_threads}). */
    public void setMaxThreads(int maxThreads) {
        pool.setSize(maxThreads);
    }

    /** The current bound on PAM transactions running at once. */
    public int maxThreads() {
        return pool.size();
    }

    AuthPool pool() {
        return pool;
    }

    @Override
    public void authenticate(String user, String password) throws AuthenticationFailure {
        Answers answers = new Answers(CStrings.utf8(user), CStrings.utf8(password));
        pool.run(() -> transaction(answers, false));
    }

    /** {@inheritDoc} Runs {@code pam_chauthtok} for {@code user}; {@code oldPassword} is not used. */
    @Override
    public void changePassword(String user, String oldPassword, String newPassword) throws AuthenticationFailure {
        Answers answers = new Answers(CStrings.utf8(user), CStrings.utf8(newPassword));
        pool.run(() -> transaction(answers, true));
    }

    /** One PAM transaction on the current (pool) thread; throws with the failing code's text. */
    private Void transaction(Answers answers, boolean changePassword) throws AuthenticationFailure {
        LibPam pam = Natives.PAM;
        long key = NEXT_KEY.getAndIncrement();
        TRANSACTIONS.put(key, answers);
        PamConv conv = new PamConv();
        conv.conv = Natives.CONVERSATION;
        conv.appdata_ptr = new Pointer(key);
        try (Memory serviceName = CStrings.memory(CStrings.utf8(service));
                Memory userName = CStrings.memory(answers.user())) {
            PointerByReference handle = new PointerByReference();
            int rc = pam.pam_start(serviceName, userName, conv, handle);
            Pointer pamh = handle.getValue();
            if (rc == PamStatus.PAM_SUCCESS) {
                if (changePassword) {
                    rc = pam.pam_chauthtok(pamh, 0);
                } else {
                    rc = pam.pam_authenticate(pamh, PAM_DISALLOW_NULL_AUTHTOK);
                    if (rc == PamStatus.PAM_SUCCESS) {
                        rc = pam.pam_acct_mgmt(pamh, PAM_DISALLOW_NULL_AUTHTOK);
                    }
                }
            }
            if (pamh != null) {
                pam.pam_end(pamh, rc);
            }
            if (rc != PamStatus.PAM_SUCCESS) {
                throw new AuthenticationFailure(PamStatus.text(rc));
            }
            return null;
        } finally {
            TRANSACTIONS.remove(key);
            answers.wipe();
            java.lang.ref.Reference.reachabilityFence(conv);
        }
    }

    /**
     * The conversation function: answers every prompt or none (then {@code PAM_CONV_ERR}, with
     * everything it allocated freed). The answers are calloc'ed; PAM frees them.
     */
    private static int converse(int numMsg, Pointer msg, Pointer resp, Pointer appdata) {
        try {
            Answers answers = appdata == null ? null : TRANSACTIONS.get(Pointer.nativeValue(appdata));
            if (msg == null || resp == null || answers == null || numMsg <= 0) {
                return PamStatus.PAM_CONV_ERR;
            }
            LibC c = Natives.C;
            Pointer responses = c.calloc(new NativeLong(numMsg), new NativeLong(RESPONSE_SIZE));
            if (responses == null) {
                return PamStatus.PAM_CONV_ERR;
            }
            int filled = 0;
            try {
                for (; filled < numMsg; filled++) {
                    Pointer message = msg.getPointer((long) filled * Native.POINTER_SIZE);
                    int style = message.getInt(0);
                    byte[] answer = switch (style) {
                        case PAM_PROMPT_ECHO_ON -> answers.user();
                        case PAM_PROMPT_ECHO_OFF -> answers.secret();
                        default -> null;
                    };
                    Pointer copy = answer == null ? null : nativeCopy(c, answer);
                    if (copy == null) {
                        break;
                    }
                    responses.setPointer(filled * RESPONSE_SIZE, copy);
                }
            } finally {
                if (filled < numMsg) {
                    for (int j = 0; j < filled; j++) {
                        Pointer copy = responses.getPointer(j * RESPONSE_SIZE);
                        copy.setMemory(0, CStrings.length(copy), (byte) 0);
                        c.free(copy);
                    }
                    c.free(responses);
                }
            }
            if (filled < numMsg) {
                return PamStatus.PAM_CONV_ERR;
            }
            resp.setPointer(0, responses);
            return PamStatus.PAM_SUCCESS;
        } catch (Throwable t) {
            // Never let a Java exception unwind through libpam's C frames.
            return PamStatus.PAM_CONV_ERR;
        }
    }

    /** A calloc'ed, NUL-terminated copy of {@code bytes}, or null when out of memory. */
    private static Pointer nativeCopy(LibC c, byte[] bytes) {
        Pointer p = c.calloc(new NativeLong(bytes.length + 1L), new NativeLong(1));
        if (p != null) {
            p.write(0, bytes, 0, bytes.length);
        }
        return p;
    }

    /** The native {@code pam_strerror} text of {@code code} in the process locale (tests compare it with {@link PamStatus#text}). */
    static String nativeStrerror(int code) {
        return Natives.PAM.pam_strerror(null, code);
    }

    /** Stops the worker pool; transactions already submitted still complete. */
    @Override
    public void close() {
        pool.close();
    }
}
