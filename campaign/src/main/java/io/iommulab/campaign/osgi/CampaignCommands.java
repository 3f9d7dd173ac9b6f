package io.iommulab.campaign.osgi;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.lab.LabFactory;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import io.iommulab.campaign.gen.OpGenerator;
import io.iommulab.campaign.op.ReplayFile;
import io.iommulab.campaign.report.CampaignReport;
import io.iommulab.campaign.run.BackendCampaign;
import io.iommulab.campaign.run.Campaign;
import io.iommulab.json.JsonDocument;
import io.iommulab.lib.cmdline.Memparse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * {@code iommu:campaign}: the differential campaign on every installed backend's twin of the booted
 * board (or of each {@code --board FILE}), or the replay of a file a mismatch left. The result is
 * the report record (the launcher's {@code --json} writes it as one JSON document, the shell shows
 * it as text through {@link ReportConverter}); {@code --json} returns the JSON document, which the
 * shell shows indented and the launcher's {@code --json} writes as the same line. Every
 * campaign of the session adds its mismatches to the session variable {@value #MISMATCH_VARIABLE},
 * which the launcher's exit status reads.
 */
@Component(service = Object.class, property = {"osgi.command.scope=iommu", "osgi.command.function=campaign"})
public final class CampaignCommands {
    /** the session variable with the number of runs of the session's campaigns that ended in a mismatch */
    public static final String MISMATCH_VARIABLE = "iommulab_campaign_mismatches";
    /** where a wrong argument sends the user: the usage written from the descriptions below */
    static final String SEE_HELP = " (see help iommu:campaign)";
    static final String LIVE_UPDATE_EVERY = "25000";
    static final String INJECT_EVERY = "1000";
    static final String SHRINK_REPLAYS = "500";
    static final String PROGRESS = "1000000";

    private final MachineFactory machines;
    private final LabFactory labs;
    private final BundleContext context;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Machine machine;

    /** runs the live updates ({@code iommu:liveupdate}); without it a campaign makes none */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile CommandProcessor processor;

    @Activate
    public CampaignCommands(@Reference MachineFactory machines, @Reference LabFactory labs, BundleContext context) {
        this.machines = machines;
        this.labs = labs;
        this.context = context;
    }

    @Descriptor("differential campaign: OPS random operations on every installed backend's twin of the board, each checked"
            + " against an oracle (iova_to_phys, the hardware model's walk, DMA with its data read back); a mismatch is"
            + " shrunk to a replay file. With --replay FILE: that file's operations again, on a fresh lab")
    public Object campaign(CommandSession session,
            @Descriptor("the seed (default: from the clock; the report names it)")
            @Parameter(names = "--seed", absentValue = "") String seed,
            @Descriptor("only these backends, comma-separated: a name or a unique part of one (dart, smmu)")
            @Parameter(names = "--backends", absentValue = "") String backends,
            @Descriptor("print the report as one JSON document")
            @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the folder a mismatch's replay file is written to (default: the working directory)")
            @Parameter(names = "--out", absentValue = "") String dir,
            @Descriptor("run this replay file again (its seed, backend and board; not with OPS, --seed or --backends)")
            @Parameter(names = "--replay", absentValue = "") String file,
            @Descriptor("operations between live updates of the backend's bundles, 0 for none")
            @Parameter(names = "--live-update-every", absentValue = LIVE_UPDATE_EVERY) String every,
            @Descriptor("POINT[:COUNT]: make an IOMMU's driver fail at this injection point now and then (iommu:inject)")
            @Parameter(names = "--inject", absentValue = "") String point,
            @Descriptor("operations between two --inject")
            @Parameter(names = "--inject-every", absentValue = INJECT_EVERY) String interval,
            @Descriptor("at most this many replays to shrink a mismatch")
            @Parameter(names = "--shrink-replays", absentValue = SHRINK_REPLAYS) String replays,
            @Descriptor("operations between two progress lines, 0 for none")
            @Parameter(names = "--progress", absentValue = PROGRESS) String step,
            @Descriptor("the operations per backend (not with --replay), and --board FILE for each board to run on"
                    + " (default: the booted board; with --replay, another copy of the file's board)") String... ops)
            throws IOException {
        Options o = Options.parse(ops);
        o.options(seed, backends, json, dir, file, every, point, interval, replays, step);
        CommandProcessor shell = processor;
        Campaign c = new Campaign(machines, labs, shell == null ? null : new SessionLiveUpdates(shell, context));
        CampaignReport report;
        if (o.replay != null) {
            ReplayFile replayed = ReplayFile.read(Path.of(o.replay));
            DeviceTree board = o.boards.isEmpty() ? replayBoard(replayed.board()) : read(o.boards.get(0));
            report = c.replay(replayed, o.replay, board, o.settings(0, replayed.seed()));
        } else {
            List<DeviceTree> boards = new ArrayList<>();
            if (o.boards.isEmpty()) {
                boards.add(booted());
            }
            for (String f : o.boards) {
                boards.add(read(f));
            }
            long runSeed = o.seed != null ? o.seed : System.nanoTime() & Long.MAX_VALUE;
            report = c.run(boards, c.resolve(o.backends), o.settings(o.ops, runSeed));
        }
        Object before = session.get(MISMATCH_VARIABLE);
        session.put(MISMATCH_VARIABLE, (before instanceof Long l ? l : 0L) + report.mismatches());
        return o.json ? new JsonDocument(report) : report;
    }

    private DeviceTree booted() {
        Machine m = machine;
        if (m == null) {
            throw new IommuException(Errno.ENODEV, "no machine booted: boot a board or give --board FILE");
        }
        return m.deviceTree();
    }

    /** The board a replay file names: the booted one if it has that name, else the file. */
    private DeviceTree replayBoard(String name) {
        Machine m = machine;
        if (m != null && m.deviceTree().source().equals(name)) {
            return m.deviceTree();
        }
        if (Files.isRegularFile(Path.of(name))) {
            return read(name);
        }
        throw new IommuException(Errno.ENOENT, "replay board '" + name + "': neither the booted board"
                + (m == null ? " (none is booted)" : " (" + m.deviceTree().source() + ")")
                + " nor a file: boot it, or give --board FILE");
    }

    private DeviceTree read(String file) {
        return machines.readBoard(Path.of(file)); // bounded and checked, as machine:boot reads it
    }

    /** The command's options. */
    static final class Options {
        long ops = -1;
        Long seed;
        List<String> boards = new ArrayList<>();
        List<String> backends = List.of();
        boolean json;
        String out;
        String replay;
        long liveUpdateEvery;
        String injectPoint;
        long injectCount = -1;
        long injectEvery;
        int shrinkReplays;
        long progress;

        /** Reads what Gogo leaves in the list: OPS and the repeatable --board FILE. */
        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--board")) {
                    o.boards.add(value(args, ++i, a));
                } else if (a.startsWith("-") || o.ops >= 0) {
                    throw new IommuException(Errno.EINVAL, (a.startsWith("-") ? "unknown option " + a
                            : "unexpected argument '" + a + "'") + SEE_HELP);
                } else {
                    o.ops = Memparse.parse("OPS", a).within(1, 1_000_000_000_000L);
                }
            }
            return o;
        }

        /** Takes Gogo's options (an absent one is "", or its default) and checks they go together. */
        void options(String seed, String backends, boolean json, String out, String replay, String liveUpdateEvery,
                String inject, String injectEvery, String shrinkReplays, String progress) {
            if (!seed.isEmpty()) {
                this.seed = Memparse.parse("--seed", seed).value() & Long.MAX_VALUE;
            }
            if (!backends.isEmpty()) {
                this.backends = Arrays.asList(backends.split(","));
            }
            this.json = json;
            this.out = out.isEmpty() ? null : out;
            this.replay = replay.isEmpty() ? null : replay;
            this.liveUpdateEvery = Memparse.parse("--live-update-every", liveUpdateEvery).within(0, Long.MAX_VALUE);
            if (!inject.isEmpty()) {
                int colon = inject.indexOf(':');
                injectPoint = colon < 0 ? inject : inject.substring(0, colon);
                if (colon >= 0) {
                    injectCount = Memparse.parse("--inject COUNT", inject.substring(colon + 1)).within(1, Long.MAX_VALUE);
                }
                if (injectPoint.isEmpty()) {
                    throw new IommuException(Errno.EINVAL, "--inject: expected POINT[:COUNT], found '" + inject + "'");
                }
            }
            this.injectEvery = Memparse.parse("--inject-every", injectEvery).within(1, Long.MAX_VALUE);
            this.shrinkReplays = (int) Memparse.parse("--shrink-replays", shrinkReplays).within(0, 1_000_000);
            this.progress = Memparse.parse("--progress", progress).within(0, Long.MAX_VALUE);
            if (this.replay == null && ops < 0) {
                throw new IommuException(Errno.EINVAL, "expected OPS, the number of operations per backend, or --replay FILE"
                        + SEE_HELP);
            }
            if (this.replay != null && (ops >= 0 || this.seed != null || boards.size() > 1 || !this.backends.isEmpty())) {
                throw new IommuException(Errno.EINVAL, "--replay FILE takes its seed, backend and board from the file"
                        + " (only --board FILE, for another copy of the board, and --json go with it)");
            }
        }

        BackendCampaign.Settings settings(long n, long seed) {
            OpGenerator.Options mix = new OpGenerator.Options(liveUpdateEvery, injectPoint, injectEvery, injectCount);
            return new BackendCampaign.Settings(n, seed, mix, out == null ? null : Path.of(out), shrinkReplays, progress);
        }

        private static String value(String[] args, int i, String name) {
            if (i >= args.length) {
                throw new IommuException(Errno.EINVAL, name + " needs a value" + SEE_HELP);
            }
            return args[i];
        }
    }
}
