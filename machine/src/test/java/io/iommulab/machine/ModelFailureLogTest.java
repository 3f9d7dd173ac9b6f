package io.iommulab.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.machine.IommuHardware;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A model that cannot start is one line in the log, whatever it threw: the user's mistake (an
 * option the model refuses, as 19 of 322 mutated boards had) or the model's own bug. Its stack
 * trace, which the launcher printed even with --quiet, is for DEBUG (--verbose) only.
 */
class ModelFailureLogTest {

    /** Refuses its node's options as the DART model does ({@code NodeModelOptions.requireKnown}). */
    static final class Refusing implements IommuModelFactory {
        @Override
        public String name() {
            return "failing";
        }

        @Override
        public List<String> compatibles() {
            return List.of("iommulab,failing-iommu");
        }

        @Override
        public IommuModel create(ModelContext context) {
            throw new IommuException(Errno.EINVAL, context.node().path() + ": failing model: unknown option smrs=0");
        }
    }

    @Test
    void optionRefusedIsOneLine() {
        String log = bootLogging(new Refusing());
        assertEquals(1, log.lines().filter(l -> l.contains("failed to start")).count(), log);
        assertTrue(log.contains("model failing failed to start: EINVAL: /soc/iommu@140000: failing model: unknown option smrs=0"), log);
        assertFalse(log.contains("\tat ") || log.contains("IommuException:"), "no stack trace:\n" + log);
    }

    @Test
    void modelBugIsOneLineNamingTheException() {
        String log = bootLogging(new TestIommu.Failing());
        assertTrue(log.contains("model failing failed to start: java.lang.IllegalStateException: refuses to start: locked by firmware"),
                log);
        assertFalse(log.contains("\tat "), "no stack trace at INFO:\n" + log);
    }

    /** @return what booting the test board with {@code failing} logged on System.err (slf4j-simple, INFO) */
    private static String bootLogging(IommuModelFactory failing) {
        PrintStream saved = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        SimMachine m;
        try {
            m = SimMachine.boot(TestBoards.load("test-board.dts"), List.of(failing), Map.of());
        } finally {
            System.setErr(saved);
        }
        IommuHardware h = m.iommuHardware().stream().filter(x -> x.node().path().equals("/soc/iommu@140000")).findFirst()
                .orElseThrow();
        assertEquals(null, h.model(), "the node is left without a model");
        return buf.toString(StandardCharsets.UTF_8);
    }
}
