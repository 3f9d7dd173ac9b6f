package io.iommulab.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The launcher's command line.
 *
 * @param board    board file (DTB or DTS), or null for the built-in default board
 * @param commands sources of shell commands in the order given: {@code -c} strings and {@code --script} files
 * @param json     print each command result as one JSON line
 * @param deploy   FileInstall folder ({@code --deploy}), or null: {@code ./deploy} if it exists, else none
 * @param logLevel SLF4J simple logger level: {@code info}, {@code debug} or {@code warn}
 * @param help     print the usage and exit
 * @param sanitize start the IOMMU core with its DMA sanitizer on, and print its findings at exit
 * @param progress show the progress of comparisons and campaigns even when not on a terminal
 */
public record LaunchOptions(Path board, List<CommandSource> commands, boolean json, Path deploy, String logLevel,
        boolean help, boolean sanitize, boolean progress) {

    public static final String USAGE = """
            Usage: java -jar iommulab.jar [OPTIONS]

            Starts the iommulab OSGi container, boots a board and probes its IOMMUs. Without commands
            it opens the Gogo shell when run on a terminal, otherwise it prints the summary and exits.

            Options:
              --board FILE     boot this board (.dtb or .dts) instead of the built-in default board
              -c "CMD; CMD"    run these shell commands after the boot, then exit (repeatable)
              --script FILE    run the commands in FILE (one per line, # starts a comment), then exit
              --compare[=FILE] compare the installed IOMMU backends (DART, SMMU, ...) on twins of the board,
                               running the workload in FILE (default: the built-in one), then exit
              --report DIR     with --compare: also write comparison.json and report.html (SVG pictures) to DIR
              --campaign OPS   differential campaign: OPS random operations (domains, iommu_map/unmap, the DMA
                               API, DMA by every master, live updates) on every installed backend's twin of the
                               board, each checked against an oracle; a mismatch is shrunk to a replay file
                               (campaign-SEED-BACKEND-BOARD.replay); then exit. Logs only its progress (a line per
                               million operations, on a terminal) and mismatches unless --verbose or --quiet
                               is given
              --seed S         with --campaign: the seed (default: from the clock; the report names it)
              --backends a,b   with --campaign: only these backends (a name or a unique part: dart, smmu)
              --replay FILE    run a campaign's replay file again on a fresh lab (its board: the booted one
                               or the file it names), then exit
              --json           print each command result as one JSON document per line on stdout
              --sanitize       run the IOMMU core with its DMA sanitizer on from the boot (stale IOTLB
                               entries, DMA after unmap, isolation escapes; iommu:sanitize lists them); at
                               exit print its findings, each comparison backend's, and the total
              --deploy DIR     folder watched for bundles to install, update and remove and for configuration
                               files (created if absent; default ./deploy if it exists, otherwise none)
              --progress       show the progress of --compare and --campaign also when not run on a terminal
              --verbose        log at DEBUG, with the stack traces of failures (otherwise one line each), the
                               framework's messages and the start-up time
              --quiet          log warnings and errors only
              -h, --help       print this help

            Exit status: 0 success, 1 a command failed, 2 bad arguments or a board that cannot be booted,
            3 the container did not come up, 4 (with --sanitize) the commands succeeded but the DMA
            sanitizer found something, 5 the commands succeeded but a campaign (--campaign, --replay,
            iommu:campaign) found a mismatch.
            """;

    public LaunchOptions {
        commands = List.copyOf(commands);
    }

    /** Where shell commands come from, in the order the options were given. */
    public sealed interface CommandSource permits Inline, Script, Compare, Campaign {
        /** @return the commands, one per element */
        List<String> commands() throws UsageException;
    }

    /** {@code -c "CMD; CMD"} */
    public record Inline(String text) implements CommandSource {
        @Override
        public List<String> commands() throws UsageException {
            List<String> out = CommandLines.split(text);
            if (out.isEmpty()) {
                throw new UsageException("option -c: no command in '" + text + "'");
            }
            return out;
        }
    }

    /** {@code --script FILE} */
    public record Script(Path file) implements CommandSource {
        @Override
        public List<String> commands() throws UsageException {
            try {
                return CommandLines.script(Files.readString(file, StandardCharsets.UTF_8));
            } catch (NoSuchFileException e) {
                throw new UsageException("script " + file + ": no such file");
            } catch (IOException e) {
                throw new UsageException("script " + file + ": cannot read: " + e.getMessage());
            }
        }
    }

    /** {@code --compare[=FILE] [--report DIR]}: the scripted form of {@code iommu:compare}. */
    public record Compare(String workload, String report) implements CommandSource {
        @Override
        public List<String> commands() {
            StringBuilder c = new StringBuilder("iommu:compare");
            if (workload != null) {
                c.append(" --workload ").append(quote(workload));
            }
            if (report != null) {
                c.append(" --report ").append(quote(report));
            }
            return List.of(c.toString());
        }

        static String quote(String s) {
            return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
    }

    /**
     * {@code --campaign OPS [--seed S] [--backends a,b]} or {@code --replay FILE}: the scripted form of
     * {@code iommu:campaign} (its report is the command's result: text, or with {@code --json} one
     * JSON document).
     */
    public record Campaign(String ops, String seed, String backends, String replay) implements CommandSource {
        @Override
        public List<String> commands() {
            StringBuilder c = new StringBuilder("iommu:campaign");
            if (replay != null) {
                c.append(" --replay ").append(Compare.quote(replay));
            } else {
                c.append(' ').append(Compare.quote(ops));
            }
            if (seed != null) {
                c.append(" --seed ").append(Compare.quote(seed));
            }
            if (backends != null) {
                c.append(" --backends ").append(Compare.quote(backends));
            }
            return List.of(c.toString());
        }
    }

    /** @return true if the commands run a campaign or a replay ({@code --campaign}, {@code --replay}) */
    public boolean campaign() {
        return commands.stream().anyMatch(c -> c instanceof Campaign);
    }

    /** @return true if the commands run a comparison ({@code --compare}) */
    public boolean compare() {
        return commands.stream().anyMatch(c -> c instanceof Compare);
    }

    /** A command line the launcher cannot run; the message says which option and why. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }

    /** @return all commands of all sources, in order */
    public List<String> allCommands() throws UsageException {
        List<String> out = new ArrayList<>();
        for (CommandSource s : commands) {
            out.addAll(s.commands());
        }
        return out;
    }

    /**
     * Parses the arguments. Options take their value as the next argument or after {@code =}
     * ({@code --board=x.dts}).
     *
     * @throws UsageException naming the option at fault
     */
    public static LaunchOptions parse(String... args) throws UsageException {
        Path board = null;
        Path deploy = null;
        boolean json = false;
        boolean sanitize = false;
        boolean help = false;
        boolean verbose = false;
        boolean quiet = false;
        boolean progress = false;
        List<CommandSource> commands = new ArrayList<>();
        int compareAt = -1;
        String compareWorkload = null;
        String report = null;
        int campaignAt = -1;
        String campaignOps = null;
        String seed = null;
        String backends = null;
        String replay = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String inlineValue = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 2) {
                name = arg.substring(0, eq);
                inlineValue = arg.substring(eq + 1);
            }
            switch (name) {
                case "--board" -> {
                    if (board != null) {
                        throw new UsageException("option --board given twice");
                    }
                    board = Path.of(nonEmpty(name, inlineValue != null ? inlineValue : value(args, i++, name)));
                }
                case "-c", "--command" -> commands.add(new Inline(inlineValue != null ? inlineValue : value(args, i++, name)));
                case "--script" -> commands.add(new Script(Path.of(nonEmpty(name,
                        inlineValue != null ? inlineValue : value(args, i++, name)))));
                case "--deploy" -> {
                    if (deploy != null) {
                        throw new UsageException("option --deploy given twice");
                    }
                    deploy = Path.of(nonEmpty(name, inlineValue != null ? inlineValue : value(args, i++, name)));
                }
                case "--compare" -> {
                    if (compareAt >= 0) {
                        throw new UsageException("option --compare given twice");
                    }
                    compareAt = commands.size();
                    compareWorkload = inlineValue == null ? null : nonEmpty(name, inlineValue);
                }
                case "--report" -> {
                    if (report != null) {
                        throw new UsageException("option --report given twice");
                    }
                    report = nonEmpty(name, inlineValue != null ? inlineValue : value(args, i++, name));
                }
                case "--campaign" -> {
                    if (campaignAt >= 0) {
                        throw new UsageException(replay != null ? "options --campaign and --replay exclude each other"
                                : "option --campaign given twice");
                    }
                    campaignAt = commands.size();
                    campaignOps = nonEmpty(name, inlineValue != null ? inlineValue : value(args, i++, name));
                }
                case "--replay" -> {
                    if (campaignAt >= 0) {
                        throw new UsageException(replay != null ? "option --replay given twice"
                                : "options --campaign and --replay exclude each other");
                    }
                    campaignAt = commands.size();
                    replay = nonEmpty(name, inlineValue != null ? inlineValue : value(args, i++, name));
                }
                case "--seed" -> {
                    if (seed != null) {
                        throw new UsageException("option --seed given twice");
                    }
                    seed = nonEmpty(name, inlineValue != null ? inlineValue : value(args, i++, name));
                }
                case "--backends" -> {
                    if (backends != null) {
                        throw new UsageException("option --backends given twice");
                    }
                    backends = nonEmpty(name, inlineValue != null ? inlineValue : value(args, i++, name));
                }
                case "--json" -> json = flag(name, inlineValue);
                case "--sanitize" -> sanitize = flag(name, inlineValue);
                case "--verbose" -> verbose = flag(name, inlineValue);
                case "--quiet" -> quiet = flag(name, inlineValue);
                case "--progress" -> progress = flag(name, inlineValue);
                case "-h", "--help" -> help = flag(name, inlineValue);
                default -> throw new UsageException(arg.startsWith("-")
                        ? "unknown option " + name
                        : "unexpected argument '" + arg + "' (a board is given with --board FILE)");
            }
        }
        if (report != null && compareAt < 0) {
            throw new UsageException("option --report needs --compare");
        }
        if ((seed != null || backends != null) && (campaignAt < 0 || replay != null)) {
            throw new UsageException("option " + (seed != null ? "--seed" : "--backends") + " needs --campaign"
                    + (replay != null ? " (a replay file names its seed and backend)" : ""));
        }
        if (compareAt >= 0) {
            commands.add(compareAt, new Compare(compareWorkload, report));
        }
        if (campaignAt >= 0) {
            commands.add(campaignAt + (compareAt >= 0 && compareAt <= campaignAt ? 1 : 0),
                    new Campaign(campaignOps, seed, backends, replay));
        }
        if (verbose && quiet) {
            throw new UsageException("options --verbose and --quiet exclude each other");
        }
        return new LaunchOptions(board, commands, json, deploy, verbose ? "debug" : quiet ? "warn" : "info", help,
                sanitize, progress);
    }

    private static String value(String[] args, int i, String option) throws UsageException {
        if (i + 1 >= args.length) {
            throw new UsageException("option " + option + " needs a value");
        }
        return args[i + 1];
    }

    private static String nonEmpty(String option, String v) throws UsageException {
        if (v.isBlank()) {
            throw new UsageException("option " + option + " needs a non-empty value");
        }
        return v;
    }

    private static boolean flag(String option, String inlineValue) throws UsageException {
        if (inlineValue != null) {
            throw new UsageException("option " + option + " takes no value");
        }
        return true;
    }
}
