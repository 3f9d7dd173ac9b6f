package io.iommulab.compare.run;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.lab.Lab;
import io.iommulab.api.lab.LabFactory;
import io.iommulab.api.machine.DetachedMachine;
import io.iommulab.api.machine.MachineFactory;
import io.iommulab.compare.report.BackendRun;
import io.iommulab.compare.report.Comparison;
import io.iommulab.compare.workload.Workload;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The comparison: for every backend, the board's twin booted as a detached machine with counting
 * MMIO, a lab (a private core with the installed drivers) opened on it, the workload run, the lab
 * closed. Backends are the hardware models that make twins, so a third backend bundle (a model
 * factory with a twin recipe plus its driver) shows up here without a change.
 */
public final class Comparator {
    /**
     * The core's option (CoreConfig.SANITIZE) that starts a lab's DMA sanitizer: every backend runs
     * the workload watched, and its findings are reported (a workload's config may turn it off).
     */
    static final String SANITIZE = "iommulab.iommu.sanitize";

    private final MachineFactory machines;
    private final LabFactory labs;

    public Comparator(MachineFactory machines, LabFactory labs) {
        this.machines = machines;
        this.labs = labs;
    }

    /** @return the backends a comparison runs by default: every model that makes twins */
    public List<String> backends() {
        return machines.twinModels();
    }

    /**
     * Runs {@code workload} on the twin of {@code board} for each backend.
     *
     * @param backends model names, empty for {@link #backends()}
     * @throws IommuException ENODEV if a named backend is not installed, or none is
     */
    public Comparison compare(DeviceTree board, Workload workload, List<String> backends) {
        List<String> installed = backends();
        List<String> chosen = backends.isEmpty() ? installed : backends;
        for (String b : chosen) {
            if (!installed.contains(b)) {
                throw new IommuException(Errno.ENODEV, "no backend " + b + " installed (installed: " + installed + ")");
            }
        }
        if (chosen.isEmpty()) {
            throw new IommuException(Errno.ENODEV, "no backend installed: no hardware model makes board twins");
        }
        List<BackendRun> runs = new ArrayList<>();
        int i = 0;
        for (String b : chosen) {
            i++;
            Progress.LOG.info("compare: [{}/{}] {} on the {} twin of {}", i, chosen.size(), workload.name(), b, board.model());
            runs.add(runOne(board, workload, b));
        }
        List<String> nodes = new ArrayList<>();
        board.allNodes().forEach(n -> nodes.add(n.path()));
        Comparison c = new Comparison(board.source() + " — " + board.model(), workload.name(), runs, Differences.of(runs),
                nodes);
        Progress.LOG.info("compare: done: {} backend(s), {} difference(s)", runs.size(), c.differences().size());
        return c;
    }

    private BackendRun runOne(DeviceTree board, Workload workload, String backend) {
        byte[] twin = machines.twin(board, backend);
        DetachedMachine m = machines.bootDetached(board.source() + " (" + backend + " twin)", twin,
                Map.of(MachineFactory.MMIO_COUNT_PROPERTY, "true"));
        Map<String, String> config = new LinkedHashMap<>(workload.config());
        config.putIfAbsent(SANITIZE, "true");
        try (Lab lab = labs.open(m, config)) {
            return new BackendRunner(lab, backend, workload).run();
        }
    }
}
