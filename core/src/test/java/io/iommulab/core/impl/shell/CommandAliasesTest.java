package io.iommulab.core.impl.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.iommulab.api.dto.FaultHandlerDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.CoreConfig;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.testiommu.impl.TestIommuDriver;
import io.iommulab.testiommu.model.TestIommuModelFactory;
import io.iommulab.testkit.TestBoards;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A hyphenated name in a real Gogo session: it calls the command it stands for, with Gogo's own choice of overload. */
class CommandAliasesTest {

    static final String DEV_A = "/soc/dev-a@200000000";

    ThreadIOImpl threadIo;
    IommuCoreEngine engine;
    CommandSession session;

    @BeforeEach
    void setUp() {
        SimMachine machine = SimMachine.boot(DeviceTrees.parse("testkit.dts", TestBoards.testkitDts()),
                List.of(new TestIommuModelFactory()), Map.of());
        engine = new IommuCoreEngine(machine, CoreConfig.defaults());
        engine.addDriver(new TestIommuDriver());
        threadIo = new ThreadIOImpl();
        threadIo.start();
        CommandProcessorImpl processor = new CommandProcessorImpl(threadIo);
        // as SCR and CommandAliases register them
        processor.addCommand("iommu", FaultHandlerCommands.over(engine), "faulthandler");
        processor.addCommand("iommu", new CommandAliases.Alias("iommu:faulthandler"), "fault-handler");
        processor.addCommand("iommu", new CommandAliases.Alias("iommu:nosuch"), "no-such");
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
        session = processor.createSession(new ByteArrayInputStream(new byte[0]), sink, sink);
    }

    @AfterEach
    void tearDown() {
        session.close();
        threadIo.stop();
    }

    @Test
    void theHyphenatedNameRunsEachFormOfTheCommand() throws Exception {
        int domain = engine.domainOf(DEV_A).id();
        assertEquals(new FaultHandlerDTO(DEV_A, domain, "count", 0), session.execute("iommu:fault-handler dev-a count"));
        assertEquals(new FaultHandlerDTO(DEV_A, domain, "count", 0), session.execute("fault-handler " + DEV_A));
        assertEquals(new FaultHandlerDTO(DEV_A, domain, "count", 0), session.execute("iommu:faulthandler dev-a"),
                "the name without hyphens is the same command");
    }

    @Test
    void itsErrorsAreTheCommandsAndGogosOwn() {
        IommuException e = assertThrows(IommuException.class, () -> session.execute("iommu:fault-handler dev-a loud"));
        assertEquals("EINVAL: argument MODE: 'loud' is not log, count or none", e.getMessage());
        // no form takes three arguments: Gogo's coercion error, which the launcher turns into the usage
        IllegalArgumentException gogo = assertThrows(IllegalArgumentException.class,
                () -> session.execute("iommu:fault-handler dev-a count more"));
        assertEquals("org.apache.felix.gogo.runtime.Reflective", gogo.getStackTrace()[0].getClassName());
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class, () -> session.execute("iommu:no-such")).errno());
    }
}
