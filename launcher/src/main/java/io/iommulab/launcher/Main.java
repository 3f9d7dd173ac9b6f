package io.iommulab.launcher;

import io.iommulab.machine.dt.BoardCheck;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceReference;

/**
 * {@code java -jar iommulab.jar}: starts Felix with the project's bundles, boots a board through
 * the {@code machine:boot} shell command, waits for the IOMMU core, prints a topology summary, then
 * runs the given commands or opens the interactive shell.
 */
public final class Main {

    static final String MACHINE_FACTORY = "io.iommulab.api.machine.MachineFactory";
    static final String IOMMU_SERVICE = "io.iommulab.api.IommuService";
    static final int EXIT_OK = 0;
    static final int EXIT_COMMAND_FAILED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_STARTUP = 3;
    /** With --sanitize: everything ran, but the DMA sanitizer found something (as a sanitizer's failing run). */
    static final int EXIT_SANITIZER = 4;
    /** A campaign (--campaign, --replay, iommu:campaign) found a mismatch; every command succeeded. */
    static final int EXIT_MISMATCH = 5;
    /** The session variable the campaign adds its mismatches to (CampaignCommands.MISMATCH_VARIABLE). */
    static final String CAMPAIGN_VARIABLE = "iommulab_campaign_mismatches";
    /** Generous: a cold JVM on a loaded 2-core CI runner starts the container in about a second. */
    private static final long SERVICE_TIMEOUT_MS = 60_000;
    private static final String BOARD_VARIABLE = "iommulab_board";
    /** How long the boot waits for the deploy folder's configuration files to be applied. */
    private static final long CONFIGURATION_TIMEOUT_MS = 5_000;
    /** The deploy folder used without {@code --deploy} when it exists. */
    static final Path DEFAULT_DEPLOY = Path.of("deploy");
    /** The core's option that starts its DMA sanitizer (CoreConfig.SANITIZE), set by {@code --sanitize}. */
    static final String SANITIZE_PROPERTY = "iommulab.iommu.sanitize";

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    /** stderr's filter ({@link #main}), or null (tests give their own streams) */
    private final StackTraceFilter traces;

    Main(InputStream in, PrintStream out, PrintStream err) {
        this(in, out, err, null);
    }

    Main(InputStream in, PrintStream out, PrintStream err, StackTraceFilter traces) {
        this.in = in;
        this.out = out;
        this.err = err;
        this.traces = traces;
    }

    public static void main(String[] args) {
        OptionalInt relaunched = Relaunch.run(args);
        if (relaunched.isPresent()) {
            System.exit(relaunched.getAsInt());
        }
        // A stack trace that a library prints on stderr (SCR logging a component that failed to
        // activate) becomes one line naming its cause, unless --verbose: no stack trace reaches the
        // user. The launcher's own messages go through it too, so the lines stay in order.
        StackTraceFilter traces = new StackTraceFilter(System.err);
        System.setErr(new PrintStream(traces, true, StandardCharsets.UTF_8));
        // Keep the real streams: once Gogo runs, System.in/out/err are its per-thread multiplexers,
        // and a session reading from System.in would read from itself.
        int code = new Main(System.in, System.out, System.err, traces).run(args);
        System.out.flush();
        System.exit(code);
    }

    int run(String[] args) {
        LaunchOptions opts;
        List<String> commands;
        try {
            opts = LaunchOptions.parse(args);
            if (opts.help()) {
                out.print(LaunchOptions.USAGE);
                return EXIT_OK;
            }
            commands = opts.allCommands();
        } catch (LaunchOptions.UsageException e) {
            err.println("iommulab: " + e.getMessage() + " (see --help)");
            return EXIT_USAGE;
        }
        if (opts.board() != null) {
            String problem = unreadable(opts.board());
            if (problem == null) {
                problem = refused(opts.board());
            }
            if (problem != null) {
                err.println("iommulab: board " + opts.board() + ": " + problem);
                return EXIT_USAGE;
            }
        }
        Logging logging = Logging.of(opts, isTerminal());
        logging.apply();
        if (traces != null) {
            // --verbose: the stack traces are what the user asked for
            traces.passThrough(logging.verbose());
        }
        try {
            return container(opts, commands, logging);
        } finally {
            if (traces != null) {
                traces.finish();
            }
        }
    }

    private int container(LaunchOptions opts, List<String> commands, Logging logging) {
        Map<String, String> properties = new HashMap<>(logging.framework());
        if (opts.sanitize()) {
            properties.put(SANITIZE_PROPERTY, "true");
        }
        EmbeddedFelix felix;
        try {
            felix = EmbeddedFelix.start(deployFolder(opts.deploy()), properties, err);
        } catch (Exception e) {
            err.println("iommulab: cannot start the OSGi framework: " + message(e));
            return EXIT_STARTUP;
        }
        Thread hook = new Thread(felix::stop, "iommulab-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return session(felix, opts, commands, logging.verbose());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("iommulab: interrupted");
            return EXIT_STARTUP;
        } finally {
            felix.stop();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs (and finds the framework stopped)
            }
        }
    }

    private int session(EmbeddedFelix felix, LaunchOptions opts, List<String> commands, boolean verbose)
            throws InterruptedException {
        // --json promises machine-readable stdout: it never opens the interactive shell.
        boolean interactive = commands.isEmpty() && !opts.json() && isTerminal();
        ServiceReference<?> factory = felix.awaitService(MACHINE_FACTORY, SERVICE_TIMEOUT_MS);
        if (factory == null) {
            err.println("iommulab: no MachineFactory service after " + SERVICE_TIMEOUT_MS / 1000
                    + " s (is the machine bundle active?); bundles not active: " + felix.inactiveBundles());
            return EXIT_STARTUP;
        }
        ServiceReference<?> processorRef = felix.awaitService(GogoSession.PROCESSOR, SERVICE_TIMEOUT_MS);
        if (processorRef == null) {
            err.println("iommulab: no Gogo CommandProcessor service after " + SERVICE_TIMEOUT_MS / 1000
                    + " s; bundles not active: " + felix.inactiveBundles());
            return EXIT_STARTUP;
        }
        Object processor = felix.context().getService(processorRef);
        InputStream sessionIn = interactive ? in : new ByteArrayInputStream(new byte[0]);
        // With --json, stdout carries the JSON lines only: whatever commands print goes to stderr.
        PrintStream sessionOut = opts.json() ? err : out;
        GogoSession session;
        try {
            session = GogoSession.open(processorRef, processor, sessionIn, sessionOut, err);
        } catch (Exception e) {
            err.println("iommulab: cannot open a Gogo session: " + message(e));
            return EXIT_STARTUP;
        }
        try {
            String board = opts.board() != null ? opts.board().toString() : "default";
            if (felix.deploy() != null) {
                // the deploy folder's configuration files hold for the boot, as framework properties do
                DeployedConfigurations.await(felix.context(), felix.deploy(), CONFIGURATION_TIMEOUT_MS, err);
            }
            try {
                if (opts.board() != null) {
                    // Passed as a variable, so that no path needs quoting for the Gogo parser.
                    session.put(BOARD_VARIABLE, board);
                    session.execute("machine:boot $" + BOARD_VARIABLE);
                } else {
                    session.execute("machine:boot");
                }
            } catch (Exception e) {
                err.println("iommulab: board " + board + ": " + message(e));
                return EXIT_USAGE;
            }
            if (felix.awaitService(IOMMU_SERVICE, SERVICE_TIMEOUT_MS) == null) {
                err.println("iommulab: no IommuService after " + SERVICE_TIMEOUT_MS / 1000
                        + " s (is the core bundle active?); bundles not active: " + felix.inactiveBundles());
                return EXIT_STARTUP;
            }
            Relaunch.booted();
            if (verbose) {
                long probedMs = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime()
                        + Relaunch.firstJvmEarlierMs();
                err.printf("iommulab: board %s probed %.2f s after JVM start%n", board, probedMs / 1000.0);
            }
            // The summary is not a command result: keep it off stdout when stdout is JSON.
            (opts.json() ? err : out).print(Topology.summary(session, board));
            if (!commands.isEmpty() || interactive) {
                felix.startTools();
            }

            if (!commands.isEmpty()) {
                JsonLines json = opts.json() ? new JsonLines(felix.context()) : null;
                int code = mismatches(session, runCommands(session, commands, json));
                return opts.sanitize() ? sanitized(session, code, opts.json()) : code;
            }
            if (interactive) {
                return shell(felix, session);
            }
            return opts.sanitize() ? sanitized(session, EXIT_OK, opts.json()) : EXIT_OK;
        } finally {
            session.close();
        }
    }

    /** @param json writes each result as a JSON line ({@code --json}), or null to print it as the shell does */
    private int runCommands(GogoSession session, List<String> commands, JsonLines json) {
        for (String cmd : commands) {
            Object result;
            String text;
            try {
                result = session.execute(cmd);
                String failure = BuiltinFailures.failure(cmd, result);
                if (failure != null) {
                    return failed(cmd, failure);
                }
                text = json != null ? json.line(result) : result == null ? null : session.format(result);
            } catch (Exception e) {
                // wrong arguments: the command's usage, not Gogo's coercion error
                String usage = UsageErrors.explain(session, cmd, e);
                return failed(cmd, usage != null ? usage : message(e));
            }
            if (text != null) {
                out.println(text);
            }
        }
        out.flush();
        return EXIT_OK;
    }

    private int failed(String cmd, String why) {
        out.flush();
        err.println("iommulab: command '" + cmd + "' failed: " + why);
        return EXIT_COMMAND_FAILED;
    }

    /** @return {@link #EXIT_MISMATCH} when every command succeeded and a campaign of the session found a mismatch */
    private int mismatches(GogoSession session, int code) {
        if (code != EXIT_OK) {
            return code;
        }
        try {
            return session.get(CAMPAIGN_VARIABLE) instanceof Long n && n > 0 ? EXIT_MISMATCH : code;
        } catch (Exception e) {
            return code;
        }
    }

    /**
     * Prints what the DMA sanitizer found ({@code --sanitize}, after the commands, also after a failed
     * one); findings turn a successful run's status into {@link #EXIT_SANITIZER}.
     */
    private int sanitized(GogoSession session, int code, boolean json) {
        Sanitized s;
        try {
            s = Sanitized.of(session);
        } catch (Exception e) {
            err.println("iommulab: --sanitize: cannot read the DMA sanitizer: " + message(e));
            return code == EXIT_OK ? EXIT_COMMAND_FAILED : code;
        }
        // Not a command result: off stdout when stdout is JSON.
        PrintStream to = json ? err : out;
        to.print(s.text());
        to.flush();
        return code == EXIT_OK && s.findings() > 0 ? EXIT_SANITIZER : code;
    }

    /** Runs the interactive Gogo shell until the user leaves it (EOF, Ctrl-D) or stops the framework. */
    private int shell(EmbeddedFelix felix, GogoSession session) throws InterruptedException {
        Thread console = new Thread(() -> {
            try {
                // Gogo's login profile (prompt, banner), then a line at a time; the launcher stops the framework.
                new Console(session, in, out).run(Console.profile(felix.context()));
            } catch (Exception e) {
                // "stop 0" interrupts the console while the framework goes down: that is a normal end.
                if (!(e instanceof InterruptedException) && felix.framework().getState() == Bundle.ACTIVE) {
                    err.println("iommulab: shell ended: " + message(e));
                }
            } finally {
                felix.stop();
            }
        }, "iommulab-console");
        // A console blocked on stdin must not keep the JVM alive after "stop 0".
        console.setDaemon(true);
        console.start();
        felix.waitForStop();
        return EXIT_OK;
    }

    /** @return why the board file cannot be read, or null if it can */
    static String unreadable(Path p) {
        if (!Files.exists(p)) {
            return "no such file";
        }
        if (Files.isDirectory(p)) {
            return "is a directory, expected a .dtb or .dts file";
        }
        if (!Files.isReadable(p)) {
            return "permission denied";
        }
        return null;
    }

    /**
     * Reads, parses and checks the board with the machine's own code ({@link BoardCheck#checkFile},
     * what {@code machine:boot FILE} runs too), before the container starts: a bad board costs no
     * container start and no log lines, only its one message.
     *
     * @return why the board is refused, or null if it boots
     */
    static String refused(Path board) {
        try {
            BoardCheck.checkFile(board);
            return null;
        } catch (RuntimeException e) {
            return message(e);
        }
    }

    /**
     * @return the deploy folder: the one given ({@code --deploy}, made if absent), else {@code ./deploy}
     *         if it exists, else null (none: nothing is made in the working directory)
     */
    static Path deployFolder(Path given) {
        if (given != null) {
            return given;
        }
        return Files.isDirectory(DEFAULT_DEPLOY) ? DEFAULT_DEPLOY : null;
    }

    /**
     * @return true when stdin and stdout are a terminal. JDK 22+ returns a Console even when
     *         redirected and tells with isTerminal(); earlier JDKs return null then.
     */
    static boolean isTerminal() {
        java.io.Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            Method m = java.io.Console.class.getMethod("isTerminal");
            return (Boolean) m.invoke(c);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    /** @return the message of a failure, without the wrapper exceptions' noise */
    static String message(Throwable t) {
        Throwable e = t;
        while ((e.getMessage() == null || e instanceof BundleException && e.getCause() != null) && e.getCause() != null) {
            e = e.getCause();
        }
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getName();
        }
        // One line per failure: the shell's messages end with a newline now and then.
        return m.strip().replace('\n', ' ');
    }
}
