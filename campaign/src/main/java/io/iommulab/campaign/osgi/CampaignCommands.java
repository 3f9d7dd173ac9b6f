package io.iommulab.campaign.osgi;

import io.iommulab.api.cmdline.Memparse;
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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
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
    static final String USAGE = "iommu:campaign OPS [--seed S] [--board FILE]... [--backends a,b] [--json] [--out DIR]"
            + " [--live-update-every OPS] [--inject POINT[:COUNT]] [--inject-every OPS] [--shrink-replays N]"
            + " [--progress OPS] | iommu:campaign --replay FILE [--board FILE] [--json]";

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
            + " shrunk to a replay file. " + USAGE)
    public Object campaign(CommandSession session, String... args) throws IOException {
        Options o = Options.parse(args);
        CommandProcessor shell = processor;
        Campaign c = new Campaign(machines, labs, shell == null ? null : new SessionLiveUpdates(shell, context));
        CampaignReport report;
        if (o.replay != null) {
            ReplayFile file = ReplayFile.read(Path.of(o.replay));
            DeviceTree board = o.boards.isEmpty() ? replayBoard(file.board()) : read(o.boards.get(0));
            report = c.replay(file, o.replay, board, o.settings(0, file.seed()));
        } else {
            List<DeviceTree> boards = new ArrayList<>();
            if (o.boards.isEmpty()) {
                boards.add(booted());
            }
            for (String f : o.boards) {
                boards.add(read(f));
            }
            long seed = o.seed != null ? o.seed : System.nanoTime() & Long.MAX_VALUE;
            report = c.run(boards, c.resolve(o.backends), o.settings(o.ops, seed));
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
    private DeviceTree replayBoard(String name) throws IOException {
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

    private DeviceTree read(String file) throws IOException {
        byte[] data;
        try {
            data = Files.readAllBytes(Path.of(file));
        } catch (NoSuchFileException e) {
            throw new IommuException(Errno.ENOENT, "board " + file + ": no such file");
        }
        // the factory reads and checks a tree by booting it detached, closed at once (only the tree is kept)
        try (var m = machines.bootDetached(file, data, Map.of())) {
            return m.deviceTree();
        }
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
        long liveUpdateEvery = 25_000;
        String injectPoint;
        long injectCount = -1;
        long injectEvery = 1000;
        int shrinkReplays = 500;
        long progress = 1_000_000;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--seed" -> o.seed = Memparse.parse("--seed", value(args, ++i, a)).value() & Long.MAX_VALUE;
                    case "--board" -> o.boards.add(value(args, ++i, a));
                    case "--backends" -> o.backends = Arrays.asList(value(args, ++i, a).split(","));
                    case "--json" -> o.json = true;
                    case "--out" -> o.out = value(args, ++i, a);
                    case "--replay" -> o.replay = value(args, ++i, a);
                    case "--live-update-every" -> o.liveUpdateEvery = number(args, ++i, a, 0, Long.MAX_VALUE);
                    case "--inject" -> {
                        String v = value(args, ++i, a);
                        int colon = v.indexOf(':');
                        o.injectPoint = colon < 0 ? v : v.substring(0, colon);
                        if (colon >= 0) {
                            o.injectCount = Memparse.parse("--inject COUNT", v.substring(colon + 1)).within(1, Long.MAX_VALUE);
                        }
                        if (o.injectPoint.isEmpty()) {
                            throw new IommuException(Errno.EINVAL, "--inject: expected POINT[:COUNT], found '" + v + "'");
                        }
                    }
                    case "--inject-every" -> o.injectEvery = number(args, ++i, a, 1, Long.MAX_VALUE);
                    case "--shrink-replays" -> o.shrinkReplays = (int) number(args, ++i, a, 0, 1_000_000);
                    case "--progress" -> o.progress = number(args, ++i, a, 0, Long.MAX_VALUE);
                    default -> {
                        if (a.startsWith("-") || o.ops >= 0) {
                            throw new IommuException(Errno.EINVAL, (a.startsWith("-") ? "unknown option " + a
                                    : "unexpected argument '" + a + "'") + " (usage: " + USAGE + ")");
                        }
                        o.ops = Memparse.parse("OPS", a).within(1, 1_000_000_000_000L);
                    }
                }
            }
            if (o.replay == null && o.ops < 0) {
                throw new IommuException(Errno.EINVAL, "expected OPS, the number of operations per backend, or --replay FILE"
                        + " (usage: " + USAGE + ")");
            }
            if (o.replay != null && (o.ops >= 0 || o.seed != null || o.boards.size() > 1 || !o.backends.isEmpty())) {
                throw new IommuException(Errno.EINVAL, "--replay FILE takes its seed, backend and board from the file"
                        + " (only --board FILE, for another copy of the board, and --json go with it)");
            }
            return o;
        }

        BackendCampaign.Settings settings(long n, long seed) {
            OpGenerator.Options mix = new OpGenerator.Options(liveUpdateEvery, injectPoint, injectEvery, injectCount);
            return new BackendCampaign.Settings(n, seed, mix, out == null ? null : Path.of(out), shrinkReplays, progress);
        }

        private static String value(String[] args, int i, String name) {
            if (i >= args.length) {
                throw new IommuException(Errno.EINVAL, name + " needs a value (usage: " + USAGE + ")");
            }
            return args[i];
        }

        private static long number(String[] args, int i, String name, long min, long max) {
            return Memparse.parse(name, value(args, i, name)).within(min, max);
        }
    }
}
