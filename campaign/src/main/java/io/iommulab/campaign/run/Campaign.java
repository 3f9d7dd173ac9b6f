package io.iommulab.campaign.run;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.lab.LabFactory;
import io.iommulab.api.machine.MachineFactory;
import io.iommulab.campaign.op.ReplayFile;
import io.iommulab.campaign.report.BackendResult;
import io.iommulab.campaign.report.CampaignReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The differential campaign over boards and backends: for each board, each backend's twin of it in
 * a lab of its own ({@link BackendCampaign}). Backends are the hardware models that make twins, so
 * a backend bundle that is installed joins without a change here.
 */
public final class Campaign {
    private static final Logger LOG = LoggerFactory.getLogger(Campaign.class);

    private final MachineFactory machines;
    private final LabFactory labs;
    private final LiveUpdates updates;

    /** @param updates live updates of the backends' bundles, null outside the container */
    public Campaign(MachineFactory machines, LabFactory labs, LiveUpdates updates) {
        this.machines = machines;
        this.labs = labs;
        this.updates = updates;
    }

    /** @return every backend a campaign runs by default */
    public List<String> backends() {
        return machines.twinModels();
    }

    /**
     * @param wanted names as the user gives them: a backend's name or a unique part of it
     *               ({@code dart}, {@code smmu}); empty for every installed backend
     * @throws IommuException ENODEV naming a backend that is not installed, EINVAL one that names several
     */
    public List<String> resolve(List<String> wanted) {
        List<String> installed = backends();
        if (installed.isEmpty()) {
            throw new IommuException(Errno.ENODEV, "no backend installed: no hardware model makes board twins");
        }
        if (wanted.isEmpty()) {
            return installed;
        }
        List<String> out = new ArrayList<>();
        for (String w : wanted) {
            String name = w.strip().toLowerCase(Locale.ROOT);
            List<String> hits = new ArrayList<>();
            for (String b : installed) {
                if (b.equals(name)) {
                    hits = List.of(b);
                    break;
                }
                if (b.contains(name)) {
                    hits.add(b);
                }
            }
            if (name.isEmpty() || hits.isEmpty()) {
                throw new IommuException(Errno.ENODEV, "backend '" + w + "' is not installed (installed: "
                        + String.join(", ", installed) + ")");
            }
            if (hits.size() > 1) {
                throw new IommuException(Errno.EINVAL, "backend '" + w + "' is ambiguous: " + String.join(", ", hits));
            }
            if (!out.contains(hits.get(0))) {
                out.add(hits.get(0));
            }
        }
        return out;
    }

    /** Runs {@code s.ops()} operations on each backend's twin of each board. */
    public CampaignReport run(List<DeviceTree> boards, List<String> backends, BackendCampaign.Settings s) {
        List<BackendResult> runs = new ArrayList<>();
        for (DeviceTree board : boards) {
            for (String b : backends) {
                LOG.debug("campaign: {} operations, seed {}, on the {} twin of {}", s.ops(), s.seed(), b, board.source());
                BackendResult r = new BackendCampaign(new LabSource(machines, labs, board, b), updates).run(s);
                log(r);
                runs.add(r);
            }
        }
        return new CampaignReport(CampaignReport.SCHEMA, s.seed(), s.ops(), null, runs,
                runs.stream().filter(r -> r.mismatch() != null).count());
    }

    /** Runs a replay file's operations on a fresh lab of its backend's twin of {@code board}. */
    public CampaignReport replay(ReplayFile file, String replayOf, DeviceTree board, BackendCampaign.Settings s) {
        String backend = resolve(List.of(file.backend())).get(0);
        BackendResult r = new BackendCampaign(new LabSource(machines, labs, board, backend), updates).replay(file, s);
        log(r);
        return new CampaignReport(CampaignReport.SCHEMA, file.seed(), 0, replayOf, List.of(r), r.mismatch() == null ? 0 : 1);
    }

    private static void log(BackendResult r) {
        if (r.mismatch() != null) {
            LOG.warn("campaign: {} on {}: MISMATCH at op {} ({}): {}: {}", r.backend(), r.board(), r.mismatch().index(),
                    r.mismatch().op(), r.mismatch().check(), r.mismatch().detail());
        } else {
            LOG.debug("campaign: {} on {}: {} ops, {} ops/s, no mismatch", r.backend(), r.board(), r.ops(),
                    String.format("%.0f", r.opsPerSecond()));
        }
    }
}
