package org.xapijava.cli.server;

import java.util.List;
import java.util.Map;

/** The failures a command raises that are not XenAPI errors, each printed as Xapi's CLI prints it. */
public final class CliErrors {
    private CliErrors() {}

    /** The command line could not be parsed: {@code Syntax error: }. */
    public static final class Syntax extends RuntimeException {
        public Syntax(String detail) {
            super(detail);
        }
    }

    /** A required parameter is missing. */
    public static final class ParamNotFound extends RuntimeException {
        public final String param;

        public ParamNotFound(String param) {
            super(param);
            this.param = param;
        }
    }

    /** No such command. */
    public static final class UnknownCommand extends RuntimeException {
        public UnknownCommand(String name) {
            super(name);
        }
    }

    /** The command printed its own message: exit with {@code code}. */
    public static final class ExitWithError extends RuntimeException {
        public final int code;

        public ExitWithError(int code) {
            super("exit " + code);
            this.code = code;
        }
    }

    /** Some of the objects a {@code --multiple} command ran on failed: (uuid, message) each. */
    public static final class MultipleFailure extends RuntimeException {
        public final List<Map.Entry<String, String>> failures;

        public MultipleFailure(List<Map.Entry<String, String>> failures) {
            super(failures.size() + " failures");
            this.failures = List.copyOf(failures);
        }
    }
}
