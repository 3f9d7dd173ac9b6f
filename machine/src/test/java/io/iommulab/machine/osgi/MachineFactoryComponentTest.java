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
import io.iommulab.api.hw.TwinNode;
import io.iommulab.api.hw.TwinSource;
import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.machine.dt.DeviceTrees;
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

    /** One variant of a model that comes as a factory per variant; only {@code twins} makes twins. */
    private static final class VariantStub implements IommuModelFactory {
        private final String compatible;
        private final boolean twins;

        VariantStub(String compatible, boolean twins) {
            this.compatible = compatible;
            this.twins = twins;
        }

        @Override
        public String name() {
            return "variants";
        }

        @Override
        public List<String> compatibles() {
            return List.of(compatible);
        }

        @Override
        public IommuModel create(ModelContext context) {
            throw new UnsupportedOperationException("not booted");
        }

        @Override
        public boolean makesTwins() {
            return twins;
        }

        @Override
        public List<TwinNode> twin(List<TwinSource> linked) {
            return linked.stream().map(l -> new TwinNode(List.of(compatible), 0x4000, 1, 1, Map.of(), List.of())).toList();
        }
    }

    @Test
    void aModelOfSeveralFactoriesKeepsInItsTwinEveryNodeAnyOfThemImplements() {
        MachineFactoryComponent c = new MachineFactoryComponent();
        DeviceTree board = DeviceTrees.board("default");
        c.addModelFactory(new VariantStub("apple,t8103-dart", false));
        IommuException none = assertThrows(IommuException.class, () -> c.twin(board, "variants"));
        assertEquals(Errno.EINVAL, none.errno(), "no factory of the model makes twins");
        assertTrue(none.getMessage().contains("model variants makes no board twins"), none.getMessage());
        c.addModelFactory(new VariantStub("vendor,new-iommu", true));
        assertEquals(List.of("variants"), c.twinModels());
        String usb4 = "/soc/iommu@38b004000";
        DeviceTree without = DeviceTrees.parse("twin", c.twin(board, "variants"));
        assertEquals(List.of("apple,t8103-dart"), without.node("/soc/iommu@382f00000").orElseThrow().compatible());
        assertTrue(without.node(usb4).map(n -> n.compatible().equals(List.of("vendor,new-iommu"))).orElse(true),
                "no factory implements the Thunderbolt DART: the recipe stands in for it");
        assertTrue(without.allNodes().stream().anyMatch(n -> n.compatible().equals(List.of("vendor,new-iommu"))));
        c.addModelFactory(new VariantStub("apple,t8103-usb4-dart", false));
        DeviceTree with = DeviceTrees.parse("twin", c.twin(board, "variants"));
        for (DtNode n : board.allNodes()) {
            if (n.hasProperty("#iommu-cells")) {
                assertEquals(n.compatible(), with.node(n.path()).orElseThrow().compatible(), n.path() + " stays");
            }
        }
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
