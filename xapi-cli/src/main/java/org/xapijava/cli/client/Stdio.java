package org.xapijava.cli.client;

import java.io.InputStream;
import java.io.PrintStream;

/**
 * The client's standard streams, its working directory, and whether standard input may be a real terminal (only
 * for the process's own stdin: the console puts it in raw mode with {@code stty}).
 */
record Stdio(InputStream in, PrintStream out, PrintStream err, String cwd, boolean realTerminal) {}
