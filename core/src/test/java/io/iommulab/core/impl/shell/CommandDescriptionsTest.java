package io.iommulab.core.impl.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.iommulab.lib.cmdline.CommandUsage;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every command of the core's scopes and each of its parameters says what it is, for {@code help} and usage errors. */
class CommandDescriptionsTest {

    @ParameterizedTest
    @ValueSource(classes = {IommuCommands.class, DmaCommands.class, ConfigCommands.class, FaultHandlerCommands.class,
        LiveUpdateCommands.class, ResvCommands.class, HelpCommands.class})
    void everyCommandAndParameterIsDescribed(Class<?> commands) {
        assertEquals(List.of(), CommandUsage.undescribed(commands));
    }
}
