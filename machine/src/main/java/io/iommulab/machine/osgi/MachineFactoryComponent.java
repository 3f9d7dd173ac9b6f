package io.iommulab.machine.osgi;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.machine.DetachedMachine;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import io.iommulab.machine.DetachedSimMachine;
import io.iommulab.machine.SimMachine;
import io.iommulab.machine.dt.BoardCheck;
import io.iommulab.machine.dt.BoardTwins;
import io.iommulab.machine.dt.DeviceTrees;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boots the simulated machine inside the framework and registers it as the {@link Machine}
 * service (property {@code machine.board=<source>}). The hardware model factories registered as
 * services are handed to the machine at boot and forwarded as they come and go, so a bundle
 * bringing a model plugs that hardware in while everything runs.
 *
 * <p>If the framework property {@value #BOARD_PROPERTY} is set ("default" or a DTB/DTS path), the
 * board boots at activation; failures are logged, not thrown, so the bundle still starts and the
 * shell can boot another board.
 *
 * <p>Locking: boot, bind and unbind serialise on this object; the service is registered and
 * unregistered outside the lock.
 */
@Component(service = MachineFactory.class, immediate = true)
public final class MachineFactoryComponent implements MachineFactory {
    private static final Logger LOG = LoggerFactory.getLogger(MachineFactoryComponent.class);
    /** Framework property naming the board to boot at activation. */
    public static final String BOARD_PROPERTY = "iommulab.board";
    /** Service property of the Machine service: the board it was booted from. */
    public static final String BOARD_SERVICE_PROPERTY = "machine.board";
    /** Service property of the Machine service: bumped whenever hardware models are plugged in or out. */
    public static final String GENERATION_SERVICE_PROPERTY = "machine.hardware.generation";
    private static final String MACHINE_PROPERTY_PREFIX = "iommulab.";

    private final List<IommuModelFactory> factories = new ArrayList<>();
    private BundleContext context;
    private SimMachine machine;
    private String board;
    private ServiceRegistration<Machine> registration;
    private boolean active;
    private long generation;

    @Reference(service = IommuModelFactory.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addModelFactory(IommuModelFactory f) {
        SimMachine m;
        synchronized (this) {
            factories.add(f);
            m = machine;
        }
        if (m != null) {
            m.addModelFactory(f);
            hardwareChanged();
        }
    }

    void removeModelFactory(IommuModelFactory f) {
        SimMachine m;
        synchronized (this) {
            factories.removeIf(g -> g == f);
            m = machine;
        }
        if (m != null) {
            m.removeModelFactory(f);
            hardwareChanged();
        }
    }

    /**
     * Tells software that hardware was plugged in or out: bumps the Machine service's
     * {@code machine.hardware.generation} property (consumers see a MODIFIED service event, e.g.
     * the IOMMU core's reference {@code updated} callback, and look at the hardware again).
     */
    private void hardwareChanged() {
        ServiceRegistration<Machine> reg;
        Hashtable<String, Object> props = new Hashtable<>();
        synchronized (this) {
            reg = registration;
            generation++;
            props.put(BOARD_SERVICE_PROPERTY, board);
            props.put(GENERATION_SERVICE_PROPERTY, generation);
        }
        LOG.debug("machine: hardware models changed (generation {}){}", props.get(GENERATION_SERVICE_PROPERTY),
                reg == null ? "; no Machine service yet" : "");
        if (reg != null) {
            try {
                reg.setProperties(props);
            } catch (IllegalStateException e) {
                LOG.debug("machine: Machine service already unregistered", e);
            }
        }
    }

    @Activate
    void activate(BundleContext ctx) {
        synchronized (this) {
            this.context = ctx;
            this.active = true;
        }
        String b = ctx.getProperty(BOARD_PROPERTY);
        if (b == null || b.isBlank()) {
            return;
        }
        try {
            if (DEFAULT_BOARD.equals(b.trim())) {
                bootDefault();
            } else {
                Path p = Path.of(b.trim());
                boot(p.toString(), DeviceTrees.readFile(p));
            }
        } catch (IommuException e) {
            // the message names the board and the place: a stack trace would only bury it
            LOG.error("machine: cannot boot board {} given by {}: {}", b, BOARD_PROPERTY, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("machine: cannot boot board {} given by {}: {}", b, BOARD_PROPERTY, e.getMessage(), e);
        }
    }

    @Deactivate
    void deactivate() {
        ServiceRegistration<Machine> reg;
        synchronized (this) {
            active = false;
            reg = registration;
            registration = null;
        }
        if (reg != null) {
            try {
                reg.unregister();
            } catch (IllegalStateException e) {
                LOG.debug("machine: Machine service already unregistered", e);
            }
        }
    }

    @Override
    public Machine boot(String source, byte[] data) {
        synchronized (this) {
            checkNotBooted();
        }
        return start(source, DeviceTrees.parse(source, data));
    }

    @Override
    public Machine bootDefault() {
        synchronized (this) {
            checkNotBooted();
        }
        byte[] data;
        String resource = DeviceTrees.BOARD_RESOURCES + DEFAULT_BOARD + ".dts";
        try (InputStream in = MachineFactoryComponent.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IommuException(Errno.ENOENT, "default board resource " + resource + " is missing from the machine bundle");
            }
            data = in.readAllBytes();
        } catch (IOException e) {
            throw new IommuException(Errno.EIO, "cannot read default board resource " + resource + ": " + e.getMessage(), e);
        }
        return start(DEFAULT_BOARD, DeviceTrees.parse(DEFAULT_BOARD, data));
    }

    private void checkNotBooted() {
        if (machine != null) {
            throw new IommuException(Errno.EBUSY, "machine already booted with " + board);
        }
        if (!active) {
            throw new IommuException(Errno.ENODEV, "machine factory is not active");
        }
    }

    private Machine start(String source, DeviceTree tree) {
        SimMachine m;
        BundleContext ctx;
        synchronized (this) {
            // Re-check: another boot may have won while the tree was being parsed.
            checkNotBooted();
            m = SimMachine.boot(tree, List.copyOf(factories), machineProperties());
            machine = m;
            board = source;
            ctx = context;
        }
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(BOARD_SERVICE_PROPERTY, source);
        synchronized (this) {
            props.put(GENERATION_SERVICE_PROPERTY, generation);
        }
        ServiceRegistration<Machine> reg = ctx.registerService(Machine.class, m, props);
        synchronized (this) {
            if (active) {
                registration = reg;
                reg = null;
            }
        }
        if (reg != null) {
            // Deactivated while registering: do not leave a service behind.
            reg.unregister();
        }
        return m;
    }

    /** Machine properties ({@code iommulab.*}) from system properties, where framework properties fall back. */
    private static Map<String, String> machineProperties() {
        Map<String, String> out = new TreeMap<>();
        System.getProperties().forEach((k, v) -> {
            if (k instanceof String key && key.startsWith(MACHINE_PROPERTY_PREFIX) && v instanceof String value) {
                out.put(key, value);
            }
        });
        return out;
    }

    @Override
    public DeviceTree readBoard(Path file) {
        DeviceTree tree = DeviceTrees.parse(file.toString(), DeviceTrees.readFile(file));
        BoardCheck.check(tree);
        return tree;
    }

    @Override
    public DetachedMachine bootDetached(String source, byte[] data, Map<String, String> properties) {
        DeviceTree tree = DeviceTrees.parse(source, data);
        List<IommuModelFactory> fs;
        synchronized (this) {
            if (!active) {
                throw new IommuException(Errno.ENODEV, "machine factory is not active");
            }
            fs = List.copyOf(factories);
        }
        Map<String, String> props = new TreeMap<>(machineProperties());
        props.putAll(properties);
        return new DetachedSimMachine(SimMachine.boot(tree, fs, props));
    }

    @Override
    public byte[] twin(DeviceTree board, String model) {
        IommuModelFactory recipe;
        Set<String> implemented = new LinkedHashSet<>();
        synchronized (this) {
            recipe = twinFactory(model);
            // A model may come as several factories (the DART: one per variant); the twin keeps every
            // node any of them implements, and the one that makes twins stands in for the others.
            factories.stream().filter(f -> f.name().equals(model)).forEach(f -> implemented.addAll(f.compatibles()));
        }
        return BoardTwins.twin(board, recipe, implemented);
    }

    private synchronized IommuModelFactory twinFactory(String model) {
        boolean named = false;
        for (IommuModelFactory f : factories) {
            if (f.name().equals(model)) {
                named = true;
                if (f.makesTwins()) {
                    return f;
                }
            }
        }
        if (named) {
            throw new IommuException(Errno.EINVAL, "model " + model + " makes no board twins");
        }
        throw new IommuException(Errno.ENODEV, "no hardware model named " + model + " (registered: " + twinModels() + ")");
    }

    @Override
    public synchronized List<String> twinModels() {
        List<String> out = new ArrayList<>();
        for (IommuModelFactory f : factories) {
            if (f.makesTwins() && !out.contains(f.name())) {
                out.add(f.name());
            }
        }
        return out;
    }

    @Override
    public synchronized Optional<Machine> current() {
        return Optional.ofNullable(machine);
    }

    /** @return the board the machine was booted from, or null */
    public synchronized String board() {
        return board;
    }
}
