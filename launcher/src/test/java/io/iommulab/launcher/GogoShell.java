package io.iommulab.launcher;

import io.iommulab.core.impl.shell.HelpCommands;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.machine.shell.MachineCommands;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;

/**
 * A real Gogo runtime without a framework, with the commands the launcher's shell tests call: the
 * machine's {@code machine:mem} and {@code machine:poke} on the default board, and the core's
 * {@code help} over them, registered as SCR registers them.
 */
final class GogoShell implements AutoCloseable {

    final ThreadIOImpl threadIo = new ThreadIOImpl();
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final CommandSession session;
    final GogoSession gogo;

    /** @param input what the session's keyboard gives */
    GogoShell(String input) throws Exception {
        threadIo.start();
        CommandProcessorImpl processor = new CommandProcessorImpl(threadIo);
        SimMachine machine = SimMachine.boot(DeviceTrees.board("default"), List.of(), Map.of());
        MachineCommands commands = MachineCommands.over(machine);
        processor.addCommand("machine", commands, "mem");
        processor.addCommand("machine", commands, "poke");
        processor.addCommand("felix", HelpCommands.over(Map.of("machine:mem", MachineCommands.class,
                "machine:poke", MachineCommands.class)), "help");
        InputStream in = new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8));
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        session = processor.createSession(in, print, print);
        gogo = GogoSession.over(session);
    }

    String output() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        session.close();
        threadIo.stop();
    }
}
