package io.iommulab.machine;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.machine.dt.DeviceTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Loads the machine tests' fixture boards from {@code src/test/resources/machine}. */
final class TestBoards {
    static final long RAM = 0x8_0000_0000L;

    private TestBoards() {
    }

    static DeviceTree load(String name) {
        try (InputStream in = TestBoards.class.getResourceAsStream("/machine/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /machine/" + name);
            }
            return DeviceTrees.parse(name, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static DeviceTree parse(String dts) {
        return DeviceTrees.parse("inline.dts", dts.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
