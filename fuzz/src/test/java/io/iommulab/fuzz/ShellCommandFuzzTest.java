package io.iommulab.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.shell.DtoConverter;
import io.iommulab.core.impl.shell.IommuCommands;
import io.iommulab.dart.impl.shell.DartCommands;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.machine.shell.MachineCommands;
import io.iommulab.smmu.impl.shell.SmmuCommands;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.dto.DeviceDTO;
import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.api.dto.MappingDTO;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Shell command arguments: the project's command objects ({@code machine:}, {@code iommu:},
 * {@code dart:}, {@code smmu:}) over the booted fuzz board, registered in a real Gogo
 * CommandProcessor (with the core's DTO converter) as SCR registers them, and up to four commands
 * a run with fuzzed argument strings. Each argument reaches the command as the user typed it: it is
 * a session variable ({@code iommu:map $a0 $a1 $a2 $a3}), so Gogo's own quoting is not what is
 * fuzzed, but its choice of overload and its coercion are. A command may refuse with the project's
 * exception or Gogo with its usage error (no such overload); nothing else may come out, and the
 * result must format as the shell prints it. Not run: {@code machine:boot FILE} (it would open
 * whatever file an argument names) and {@code iommu:liveupdate} (it updates bundles).
 *
 * <p>A boot costs about a hundred runs, so the board is booted once per {@link #REBOOT_EVERY}
 * runs, and after each run what commands change is put back: every device on its default domain,
 * the mappings {@code iommu:map} made there unmapped, fault injection off, the sanitizer off and
 * cleared, the trace cleared. What stays (memory {@code machine:poke} wrote, faults logged) is
 * what a user's session keeps too; a crash that needs it shows in the fuzzing run's output, and its
 * input may not reproduce alone.
 */
class ShellCommandFuzzTest {

    /** scope:function of every command the target runs. */
    static final List<String> COMMANDS = List.of("machine:status", "machine:hardware", "machine:masters", "machine:irqs",
            "machine:pages", "machine:mem", "machine:poke", "machine:power", "iommu:iommus", "iommu:devices", "iommu:groups",
            "iommu:domains", "iommu:attach", "iommu:map", "iommu:unmap", "iommu:iova2phys", "iommu:dma", "iommu:faults",
            "iommu:trace", "iommu:sanitize", "iommu:inject", "dart:darts", "dart:regs", "dart:streams", "dart:errors",
            "dart:iotlb", "smmu:smmus", "smmu:streams", "smmu:banks");
    static final int MAX_COMMANDS = 4;
    static final int MAX_ARGS = 6;
    static final int REBOOT_EVERY = 2000;

    static ThreadIOImpl threadIo;
    static byte[] board;
    static Stack stack;
    static IommuCommands iommu;
    static CommandSession session;
    static int runs;

    @BeforeAll
    static void threadIo() {
        threadIo = new ThreadIOImpl();
        threadIo.start();
        board = Seeds.resource(FuzzBoard.RESOURCE);
    }

    @AfterAll
    static void stop() {
        shutdown();
        threadIo.stop();
    }

    @DictionaryEntries({"usb@382280000", "thunderbolt@38a000000", "dma-controller@600000000", "dev@200000000",
        "/soc/pcie@690000000/pci@0,0/ethernet@0,0", "iommu@382f00000", "iommu@38b004000", "iommu@500000000", "dart", "smmu",
        "usb4_dart", "ps_usb", "unmanaged", "identity", "blocked", "dma-fq", "default", "0x800000000", "0x840000000", "4K",
        "16K", "2M", "rw", "r", "w", "read", "write", "on", "off", "clear", "skip-invalidate", "0x", "-1"})
    @FuzzTest(maxDuration = "")
    void run(FuzzedDataProvider data) throws Exception {
        if (stack == null || runs++ % REBOOT_EVERY == 0) {
            boot();
        }
        List<MappingDTO> mapped = new ArrayList<>();
        try {
            int n = data.consumeInt(1, MAX_COMMANDS);
            for (int c = 0; c < n && data.remainingBytes() > 0; c++) {
                String command = data.pickValue(COMMANDS);
                int argc = data.consumeInt(0, MAX_ARGS);
                StringBuilder line = new StringBuilder(command);
                for (int i = 0; i < argc; i++) {
                    session.put("a" + i, data.consumeString(40));
                    line.append(" $a").append(i);
                }
                if (execute(line.toString()) instanceof MappingDTO m) {
                    mapped.add(m);
                }
            }
        } finally {
            reset(mapped);
        }
    }

    private static void boot() {
        shutdown();
        stack = Stack.boot(DeviceTrees.parse(FuzzBoard.RESOURCE, board));
        CommandProcessorImpl processor = new CommandProcessorImpl(threadIo);
        iommu = IommuCommands.over(stack.engine);
        register(processor, "machine", new MachineCommands(new BootedMachineFactory(stack.machine)));
        register(processor, "iommu", iommu);
        register(processor, "dart", DartCommands.over(stack.drivers, stack.machine));
        register(processor, "smmu", SmmuCommands.over(stack.drivers));
        processor.addConverter(new DtoConverter());
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
        session = processor.createSession(new ByteArrayInputStream(new byte[0]), sink, sink);
    }

    private static void shutdown() {
        if (session != null) {
            session.close();
            session = null;
        }
        if (stack != null) {
            stack.close();
            stack = null;
        }
    }

    /** Puts back what the commands change (see the class comment). */
    private static void reset(List<MappingDTO> mapped) {
        for (DeviceDTO d : stack.engine.devices()) {
            if (d.domain() != null) {
                iommu.attach(d.node(), "default");
            }
        }
        for (MappingDTO m : mapped) {
            IommuDomain d = stack.engine.domainOf(m.device());
            if (d.id() == m.domain()) {
                d.unmap(m.iova(), m.size());
            }
        }
        for (IommuNodeDTO i : stack.engine.iommus()) {
            stack.engine.injectOff(i.node());
        }
        stack.engine.setSanitizer(false);
        stack.engine.clearSanitizer();
        stack.engine.clearTrace();
    }

    private static void register(CommandProcessorImpl processor, String scope, Object commands) {
        for (String c : COMMANDS) {
            if (c.startsWith(scope + ":")) {
                processor.addCommand(scope, commands, c.substring(scope.length() + 1));
            }
        }
    }

    /** One command line: a result is formatted as the shell prints it; a refusal must be one of the allowed ones. */
    private static Object execute(String line) throws Exception {
        Object result;
        try {
            result = session.execute(line);
        } catch (IommuException e) {
            Rule.check(null, e);
            return null;
        } catch (IllegalArgumentException e) {
            if (isGogoUsageError(e)) {
                return null;
            }
            throw e;
        }
        if (result != null) {
            session.format(result, Converter.INSPECT);
        }
        return result;
    }

    /** @return whether Gogo itself refused the line (no overload takes these arguments), not a command */
    static boolean isGogoUsageError(IllegalArgumentException e) {
        StackTraceElement[] st = e.getStackTrace();
        return st.length > 0 && st[0].getClassName().startsWith("org.apache.felix.gogo.runtime.");
    }
}
