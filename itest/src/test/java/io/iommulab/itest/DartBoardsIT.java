package io.iommulab.itest;

import static org.junit.Assert.fail;
import static org.junit.Assume.assumeTrue;

import io.iommulab.api.lab.LabFactory;
import io.iommulab.api.machine.MachineFactory;
import java.util.ArrayList;
import java.util.List;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
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
 * The DART backend on every board we have (see {@link BoardDartCheck}): our fixture boards
 * (testkit's {@code iommulab-*.dts}, the two-die ones included, and the built-in default board) and
 * every real DTB in {@code ../shared/boards} (or {@code -Diommulab.boards=<dir>}), so that a board
 * added there is checked with no code change. Without real boards, their test is skipped with an
 * assumption saying where they were looked for; the fixtures still run.
 *
 * <p>A container boots one machine, so each board runs on a detached machine in a lab of its own
 * (its own core, the container's drivers), one after the other. Every board is checked even when
 * an earlier one fails; the test then fails naming each failed board.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DartBoardsIT {
    private static final Logger LOG = LoggerFactory.getLogger(DartBoardsIT.class);

    @Rule
    public final SanitizerCheck sanitizer = new SanitizerCheck();

    @Inject
    private MachineFactory machines;

    @Inject
    private LabFactory labs;

    @Inject
    private CommandProcessor shell;

    @Configuration
    public Option[] config() {
        return Container.options(false);
    }

    @Test
    public void fixtureBoards() throws Exception {
        checkAll(DartBoard.fixtures());
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
        checkAll(real);
    }

    private void checkAll(List<DartBoard> boards) throws Exception {
        List<String> failed = new ArrayList<>();
        for (DartBoard b : boards) {
            try {
                LOG.info("{}: {}", b, new BoardDartCheck(b, machines, sanitizer.labs(labs), shell).run());
            } catch (AssertionError | RuntimeException e) {
                LOG.error("{}: FAILED", b, e);
                failed.add(b + ": " + e);
            }
        }
        if (!failed.isEmpty()) {
            fail(failed.size() + " of " + boards.size() + " boards failed the DART check:\n" + String.join("\n", failed));
        }
    }
}
