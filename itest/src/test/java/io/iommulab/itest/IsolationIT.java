package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.junit.Assume.assumeTrue;

import io.iommulab.api.lab.Lab;
import io.iommulab.api.lab.LabFactory;
import io.iommulab.api.machine.MachineFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.inject.Inject;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The isolation campaign ({@link IsolationCampaign}) on every board we have, each in a lab of its
 * own with the DMA sanitizer on: our fixture boards (testkit's {@code iommulab-*.dts}, the two-die
 * ones included, the test IOMMU's {@code testkit.dts} and the built-in default board), the SMMU
 * twin of each DART fixture, and every real DTB in {@code ../shared/boards} (or
 * {@code -Diommulab.boards=<dir>}: run by hand over any folder of trees). Per board: every master
 * that can be attached probed every other domain, 0 escapes, 0 isolation findings; every board is
 * tried even when an earlier one fails, and the test then names each.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class IsolationIT {
    private static final Logger LOG = LoggerFactory.getLogger(IsolationIT.class);
    private static final String SMMU = "arm-smmu-v2";

    @Rule
    public final SanitizerCheck sanitizer = new SanitizerCheck();

    @Inject
    private MachineFactory machines;

    @Inject
    private LabFactory labs;

    @Configuration
    public Option[] config() {
        return Container.options(true);
    }

    /** Our DART fixtures and their SMMU twins (the same masters and stream ids behind SMMUs), and the test IOMMU's board. */
    @Test
    public void fixtureBoardsAndTheirSmmuTwins() throws Exception {
        List<String> failed = new ArrayList<>();
        int boards = 0;
        for (DartBoard b : DartBoard.fixtures()) {
            campaign(b.name(), b.source(), b.data(), failed);
            byte[] twin;
            try (var m = machines.bootDetached(b.source(), b.data(), Map.of())) {
                twin = machines.twin(m.deviceTree(), SMMU);
            }
            campaign(b.name() + " (" + SMMU + " twin)", b.source() + " (" + SMMU + " twin)", twin, failed);
            boards += 2;
        }
        campaign("fixture testkit.dts", "testkit:boards/testkit.dts", Container.testkitDts(), failed);
        boards++;
        if (!failed.isEmpty()) {
            fail(failed.size() + " of " + boards + " boards failed the isolation campaign:\n" + String.join("\n", failed));
        }
    }

    @Test
    public void realBoards() throws Exception {
        List<DartBoard> real = DartBoard.real();
        String skip = real.get(0).skip();
        if (skip != null) {
            // Pax Exam 4 reports an assumption that fails inside the container as a pass: say it in the log too.
            LOG.warn("real boards skipped: {}", skip);
        }
        assumeTrue(skip, skip == null);
        List<String> failed = new ArrayList<>();
        for (DartBoard b : real) {
            campaign(b.name(), b.source(), b.data(), failed);
        }
        if (!failed.isEmpty()) {
            fail(failed.size() + " of " + real.size() + " boards failed the isolation campaign:\n" + String.join("\n", failed));
        }
    }

    /** The campaign on one board, in a lab of its own; a failure is logged and added to {@code failed}. */
    private void campaign(String name, String source, byte[] data, List<String> failed) {
        try (Lab lab = sanitizer.labs(labs).open(machines.bootDetached(source, data, Map.of()), Map.of())) {
            IsolationCampaign.Result r = IsolationCampaign.run(name, lab.machine(), lab.iommu());
            LOG.info("isolation {}: {}", name, r.summary());
            assertEquals(name + ": every probe done", r.expected(), r.probes());
            assertEquals(name + ": escapes", List.of(), r.escapes());
            assertEquals(name + ": every probe faulted", r.probes(), r.faulted());
            assertEquals(name + ": isolation findings", 0, r.isolationFindings());
            assertEquals(name + ": sanitizer findings " + r.sanitizer().history(), 0, r.sanitizer().total());
            if (name.startsWith("fixture")) {
                // our boards: every group can have a domain of its own, and there is more than one
                assertEquals(name + ": every group attached: " + r.notAttached(), r.groups(), r.attached());
                assertTrue(name + ": domains to probe", r.attached() > 1 && r.probes() > 0);
            }
            assertTrue(name + ": transactions checked", r.own() == 0 || r.sanitizer().transactions() >= r.own());
        } catch (Exception | AssertionError e) {
            LOG.error("isolation {}: FAILED", name, e);
            failed.add(name + ": " + e);
        }
    }
}
