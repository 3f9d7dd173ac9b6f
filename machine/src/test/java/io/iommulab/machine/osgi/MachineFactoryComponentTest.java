package io.iommulab.machine.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.RegisterSpec;
import io.iommulab.api.hw.Translation;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/** Drives the component as SCR would (bind, activate, deactivate) against a recording BundleContext. */
class MachineFactoryComponentTest {

    /** What the fake framework saw. */
    private static final class Framework {
        final Map<String, String> properties = new HashMap<>();
        final List<Object> registered = new ArrayList<>();
        final List<Dictionary<?, ?>> serviceProperties = new ArrayList<>();
        int unregistered;

        BundleContext context() {
            return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "getProperty" -> properties.get((String) args[0]);
                        case "registerService" -> {
                            registered.add(args[1]);
                            serviceProperties.add((Dictionary<?, ?>) args[2]);
                            yield Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ServiceRegistration.class},
                                    (p, m, a) -> {
                                        if (m.getName().equals("unregister")) {
                                            unregistered++;
                                        }
                                        return null;
                                    });
                        }
                        case "toString" -> "fake context";
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }
    }

    /** A model factory for the default board's DARTs that only maps an ID register. */
    private static final class DartStub implements IommuModelFactory {
        @Override
        public String name() {
            return "dart-stub";
        }

        @Override
        public List<String> compatibles() {
            return List.of("apple,t8103-dart");
        }

        @Override
        public IommuModel create(ModelContext context) {
            context.registers(0, List.of(RegisterSpec.ro("PARAMS", 0, 0x1234)), null);
            return (sid, iova, access) -> Translation.fault("stub");
        }
    }

    @Test
    void bootDefaultRegistersMachineWithBoardProperty() {
        Framework fw = new Framework();
        MachineFactoryComponent c = new MachineFactoryComponent();
        c.activate(fw.context());
        assertTrue(c.current().isEmpty());
        Machine m = c.bootDefault();
        assertSame(m, fw.registered.get(0));
        assertEquals(MachineFactory.DEFAULT_BOARD, fw.serviceProperties.get(0).get("machine.board"));
        assertEquals(10, m.iommuHardware().size());
        assertSame(m, c.current().orElseThrow());
        IommuException e = assertThrows(IommuException.class, () -> c.boot("other.dts", new byte[0]));
        assertEquals(Errno.EBUSY, e.errno());
        assertTrue(e.getMessage().contains("machine already booted with default"), e.getMessage());
        c.deactivate();
        assertEquals(1, fw.unregistered);
    }

    @Test
    void modelFactoriesFollowTheServices() {
        Framework fw = new Framework();
        MachineFactoryComponent c = new MachineFactoryComponent();
        DartStub early = new DartStub();
        c.addModelFactory(early);
        c.activate(fw.context());
        Machine m = c.bootDefault();
        assertEquals(8, m.iommuHardware().stream().filter(h -> "dart-stub".equals(h.model())).count(),
                "every enabled DART modelled at boot");
        c.removeModelFactory(early);
        assertTrue(m.iommuHardware().stream().allMatch(h -> h.model() == null));
        DartStub late = new DartStub();
        c.addModelFactory(late);
        assertEquals(8, m.iommuHardware().stream().filter(h -> h.model() != null).count(), "plugged in later");
    }

    @Test
    void boardPropertyBootsAtActivation(@TempDir Path dir) throws Exception {
        Path dts = dir.resolve("tiny.dts");
        Files.writeString(dts, "/dts-v1/; / { model = \"tiny\"; #address-cells = <2>; #size-cells = <2>;"
                + " memory@80000000 { device_type = \"memory\"; reg = <0x0 0x80000000 0x0 0x1000000>; }; };", StandardCharsets.UTF_8);
        Framework fw = new Framework();
        fw.properties.put(MachineFactoryComponent.BOARD_PROPERTY, dts.toString());
        MachineFactoryComponent c = new MachineFactoryComponent();
        c.activate(fw.context());
        Machine m = c.current().orElseThrow();
        assertEquals("tiny", m.deviceTree().model());
        assertEquals(dts.toString(), fw.serviceProperties.get(0).get("machine.board"));
        assertEquals(16L << 20, m.ram().get(0).size());
    }

    @Test
    void badBoardPropertyIsLoggedNotThrown() {
        Framework fw = new Framework();
        fw.properties.put(MachineFactoryComponent.BOARD_PROPERTY, "/nonexistent/board.dtb");
        MachineFactoryComponent c = new MachineFactoryComponent();
        c.activate(fw.context());
        assertTrue(c.current().isEmpty());
        assertTrue(fw.registered.isEmpty());
        // Still usable: the shell can boot a board afterwards.
        assertFalse(c.bootDefault().masters().isEmpty());
    }

    @Test
    void malformedBoardIsDeviceTreeException() {
        Framework fw = new Framework();
        MachineFactoryComponent c = new MachineFactoryComponent();
        c.activate(fw.context());
        IommuException e = assertThrows(IommuException.class,
                () -> c.boot("broken.dts", "/dts-v1/; / { memory { ".getBytes(StandardCharsets.UTF_8)));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("broken.dts"), e.getMessage());
        assertTrue(c.current().isEmpty(), "a failed boot leaves no machine");
    }
}
