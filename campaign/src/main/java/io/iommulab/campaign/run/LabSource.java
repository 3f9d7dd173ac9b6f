package io.iommulab.campaign.run;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.lab.Lab;
import io.iommulab.api.lab.LabFactory;
import io.iommulab.api.machine.DetachedMachine;
import io.iommulab.api.machine.MachineFactory;
import java.util.Map;

/**
 * Fresh labs of one backend's twin of one board, as many as a campaign and its replays need: the
 * twin booted as a detached machine, a private core opened on it with the DMA sanitizer on and the
 * core lazy, so that backends whose drivers claim deferred flush get DMA-FQ default domains. Their
 * flush queues' timer waits a day: a queue flushes when it is full, when the campaign drains it
 * and when its domain goes, never at a time the host's scheduler picks, so a run replays the same.
 */
public final class LabSource {
    /** the core's settings for every lab of a campaign (CoreConfig's property names) */
    static final Map<String, String> CONFIG = Map.of("iommulab.iommu.sanitize", "true", "iommulab.iommu.strict", "false",
            "iommulab.iommu.fq-timeout-ms", "86400000");

    private final MachineFactory machines;
    private final LabFactory labs;
    private final DeviceTree board;
    private final String backend;
    private byte[] twin;
    private Facts facts;
    private long calibrationNs;

    public LabSource(MachineFactory machines, LabFactory labs, DeviceTree board, String backend) {
        this.machines = machines;
        this.labs = labs;
        this.board = board;
        this.backend = backend;
    }

    /** An open lab and what its page allocator held before the lab's drivers probed. */
    public record Opened(Lab lab, long pagesBefore) {
    }

    public Opened open() {
        if (twin == null) {
            twin = machines.twin(board, backend);
        }
        DetachedMachine m = machines.bootDetached(board.source() + " (" + backend + " twin)", twin, Map.of());
        long before = m.pages().pagesInUse();
        return new Opened(labs.open(m, CONFIG), before);
    }

    /**
     * The backend's facts, measured once on a lab of their own (closed again), so that every run and
     * replay starts on a lab nothing ran on before.
     *
     * @param updates the live updates, to name the bundles, or null
     */
    public Facts facts(LiveUpdates updates) {
        if (facts == null) {
            long t0 = System.nanoTime();
            Opened o = open();
            try {
                facts = Calibration.measure(o.lab(), updates == null ? java.util.List.of() : updates.bundles(o.lab().iommu().iommus()));
            } finally {
                o.lab().close();
            }
            calibrationNs = System.nanoTime() - t0;
        }
        return facts;
    }

    /** @return how long measuring the facts took (0 before) */
    public long calibrationNs() {
        return calibrationNs;
    }

    public DeviceTree board() {
        return board;
    }

    public String backend() {
        return backend;
    }
}
