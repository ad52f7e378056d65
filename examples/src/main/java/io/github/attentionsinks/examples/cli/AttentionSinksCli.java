package io.github.attentionsinks.examples.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code attention-sinks} command line: {@code generate}, {@code chat}, {@code perplexity} and {@code bench}
 * over a local Hugging Face checkpoint, and {@code plot} of perplexity CSVs. See docs/cli.md.
 *
 * <p>Exit codes: 0 success, 1 error (one line on stderr; the stack trace too with {@code --verbose}), 2 usage error.
 */
@Command(name = "attention-sinks", mixinStandardHelpOptions = true, version = "attention-sinks 0.1.0-SNAPSHOT",
        description = "Endless, constant-memory generation with an attention-sink KV cache (StreamingLLM) on DJL.",
        subcommands = {GenerateCommand.class, ChatCommand.class, PerplexityCommand.class, BenchCommand.class,
                ChatBenchCommand.class, PlotCommand.class, CommandLine.HelpCommand.class})
public final class AttentionSinksCli implements Runnable {
    static final int EXIT_ERROR = 1;
    static final int EXIT_USAGE = 2;

    final PrintStream out;
    final PrintStream err;
    final InputStream in;

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Log at INFO level and print stack traces of errors.")
    boolean verbose;

    /**
     * @param out where results go (continuations, CSV, tables); flushed as they are produced
     * @param err where statistics, progress and errors go
     * @param in what {@code chat} reads
     */
    public AttentionSinksCli(PrintStream out, PrintStream err, InputStream in) {
        this.out = out;
        this.err = err;
        this.in = in;
    }

    public static void main(String[] args) {
        if (Arrays.asList(args).contains("--verbose")) {
            // Read by slf4j-simple when the first logger is made, which is after this line.
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
            System.setProperty("org.slf4j.simpleLogger.log.ai.djl", "info");
        }
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
                false, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        int code = execute(args, out, err, System.in);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs the command line in-process (as {@code main} does, without exiting) and returns the exit code. */
    public static int execute(String[] args, PrintStream out, PrintStream err, InputStream in) {
        offlineDefaults();
        boolean verbose = Arrays.asList(args).contains("--verbose");
        CommandLine cli = new CommandLine(new AttentionSinksCli(out, err, in));
        cli.setOut(new java.io.PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        cli.setErr(new java.io.PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        cli.setParameterExceptionHandler((e, ignored) -> {
            String message = e.getMessage() == null ? "invalid arguments" : e.getMessage();
            err.println("error: " + (message.startsWith("Error: ") ? message.substring(7) : message));
            CommandLine failed = e.getCommandLine();
            err.println("Try '" + failed.getCommandSpec().qualifiedName() + " --help' for the options.");
            if (verbose) {
                e.printStackTrace(err);
            }
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((e, ignored, parsed) -> {
            err.println("error: " + describe(e));
            if (verbose) {
                e.printStackTrace(err);
            }
            return EXIT_ERROR;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /**
     * DJL must never call home nor download natives; these are read when its engine starts. For every main class
     * of this jar (the demos too).
     */
    public static void offlineDefaults() {
        if (System.getProperty("ai.djl.offline") == null && !Boolean.getBoolean("attentionsinks.allowNativeDownload")) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }

    /** One line: the message, or the exception type when there is none; the cause's message when it adds to it. */
    static String describe(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            message = e.getClass().getSimpleName();
        }
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && !message.contains(cause.getMessage())) {
            message += " (" + cause.getMessage() + ")";
        }
        if (e instanceof OutOfMemoryError) {
            message = "out of memory: " + message + " (try a smaller --window-size, fewer tokens or a larger -Xmx)";
        }
        return message.replace('\n', ' ');
    }

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "a subcommand is required: generate, chat, perplexity, bench or plot");
    }
}
