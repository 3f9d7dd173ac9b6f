package io.iommulab.machine.dt;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Loads test trees from {@code src/test/resources/dt} or from inline DTS text. */
final class Fixtures {
    private Fixtures() {
    }

    static byte[] resource(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/dt/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /dt/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static DeviceTree load(String name) {
        return DeviceTrees.parse(name, resource(name));
    }

    static DeviceTree dts(String text) {
        return DeviceTrees.parse("test.dts", text.getBytes(StandardCharsets.UTF_8));
    }

    static DtNode node(DeviceTree t, String path) {
        return t.node(path).orElseThrow(() -> new AssertionError("no node " + path));
    }
}
