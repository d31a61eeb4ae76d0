package org.xapijava.server.auth;

/**
 * Linux-PAM return codes ({@code security/_pam_types.h}) and the English texts
 * {@code pam_strerror} gives for them. Xapi puts that text in its errors; we keep our own English
 * table instead of calling the native {@code pam_strerror}, whose answer follows the process locale
 * (the JVM calls {@code setlocale(LC_ALL, "")}, and Debian ships PAM's translations).
 */
public final class PamStatus {

    public static final int PAM_SUCCESS = 0;
    public static final int PAM_OPEN_ERR = 1;
    public static final int PAM_SYMBOL_ERR = 2;
    public static final int PAM_SERVICE_ERR = 3;
    public static final int PAM_SYSTEM_ERR = 4;
    public static final int PAM_BUF_ERR = 5;
    public static final int PAM_PERM_DENIED = 6;
    public static final int PAM_AUTH_ERR = 7;
    public static final int PAM_CRED_INSUFFICIENT = 8;
    public static final int PAM_AUTHINFO_UNAVAIL = 9;
    public static final int PAM_USER_UNKNOWN = 10;
    public static final int PAM_MAXTRIES = 11;
    public static final int PAM_NEW_AUTHTOK_REQD = 12;
    public static final int PAM_ACCT_EXPIRED = 13;
    public static final int PAM_SESSION_ERR = 14;
    public static final int PAM_CRED_UNAVAIL = 15;
    public static final int PAM_CRED_EXPIRED = 16;
    public static final int PAM_CRED_ERR = 17;
    public static final int PAM_NO_MODULE_DATA = 18;
    public static final int PAM_CONV_ERR = 19;
    public static final int PAM_AUTHTOK_ERR = 20;
    public static final int PAM_AUTHTOK_RECOVERY_ERR = 21;
    public static final int PAM_AUTHTOK_LOCK_BUSY = 22;
    public static final int PAM_AUTHTOK_DISABLE_AGING = 23;
    public static final int PAM_TRY_AGAIN = 24;
    public static final int PAM_IGNORE = 25;
    public static final int PAM_ABORT = 26;
    public static final int PAM_AUTHTOK_EXPIRED = 27;
    public static final int PAM_MODULE_UNKNOWN = 28;
    public static final int PAM_BAD_ITEM = 29;
    public static final int PAM_CONV_AGAIN = 30;
    public static final int PAM_INCOMPLETE = 31;

    /** Text of a wrong password, of an unknown user under the {@code xapi} service, of a locked account. */
    public static final String AUTHENTICATION_FAILURE = "Authentication failure";
    /** Text of a refused password change ({@code PAM_AUTHTOK_ERR}). */
    public static final String AUTHTOK_ERROR = "Authentication token manipulation error";

    private PamStatus() {}

    /** The English {@code pam_strerror} text of {@code code}; unknown codes give "Unknown PAM error". */
    public static String text(int code) {
        return switch (code) {
            case PAM_SUCCESS -> "Success";
            case PAM_ABORT -> "Critical error - immediate abort";
            case PAM_OPEN_ERR -> "Failed to load module";
            case PAM_SYMBOL_ERR -> "Symbol not found";
            case PAM_SERVICE_ERR -> "Error in service module";
            case PAM_SYSTEM_ERR -> "System error";
            case PAM_BUF_ERR -> "Memory buffer error";
            case PAM_PERM_DENIED -> "Permission denied";
            case PAM_AUTH_ERR -> AUTHENTICATION_FAILURE;
            case PAM_CRED_INSUFFICIENT -> "Insufficient credentials to access authentication data";
            case PAM_AUTHINFO_UNAVAIL -> "Authentication service cannot retrieve authentication info";
            case PAM_USER_UNKNOWN -> "User not known to the underlying authentication module";
            case PAM_MAXTRIES -> "Have exhausted maximum number of retries for service";
            case PAM_NEW_AUTHTOK_REQD -> "Authentication token is no longer valid; new one required";
            case PAM_ACCT_EXPIRED -> "User account has expired";
            case PAM_SESSION_ERR -> "Cannot make/remove an entry for the specified session";
            case PAM_CRED_UNAVAIL -> "Authentication service cannot retrieve user credentials";
            case PAM_CRED_EXPIRED -> "User credentials expired";
            case PAM_CRED_ERR -> "Failure setting user credentials";
            case PAM_NO_MODULE_DATA -> "No module specific data is present";
            case PAM_BAD_ITEM -> "Bad item passed to pam_*_item()";
            case PAM_CONV_ERR -> "Conversation error";
            case PAM_AUTHTOK_ERR -> AUTHTOK_ERROR;
            case PAM_AUTHTOK_RECOVERY_ERR -> "Authentication information cannot be recovered";
            case PAM_AUTHTOK_LOCK_BUSY -> "Authentication token lock busy";
            case PAM_AUTHTOK_DISABLE_AGING -> "Authentication token aging disabled";
            case PAM_TRY_AGAIN -> "Failed preliminary check by password service";
            case PAM_IGNORE -> "The return value should be ignored by PAM dispatch";
            case PAM_MODULE_UNKNOWN -> "Module is unknown";
            case PAM_AUTHTOK_EXPIRED -> "Authentication token expired";
            case PAM_CONV_AGAIN -> "Conversation is waiting for event";
            case PAM_INCOMPLETE -> "Application needs to call libpam again";
            default -> "Unknown PAM error";
        };
    }
}
