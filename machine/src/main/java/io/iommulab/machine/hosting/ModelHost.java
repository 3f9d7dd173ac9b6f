package io.iommulab.machine.hosting;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.DtProperty;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.IrqSource;
import io.iommulab.api.hw.TranslationCheck;
import io.iommulab.api.machine.FailNth;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.machine.mmio.MmioBus;
import io.iommulab.machine.power.PowerDomains;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts hardware models: one per available IOMMU node whose {@code compatible} a registered
 * {@link IommuModelFactory} implements. Factories arrive at boot or later (a bundle bringing new
 * hardware: still-unmodelled nodes get a model then) and can leave (their bundle stops).
 *
 * <p>Why a leaving factory takes its models with it: the model objects are instances of classes
 * loaded by the factory's bundle; once that bundle is gone (or updated) those classes must not be
 * run any more, so the machine unmaps the models' register blocks and marks the nodes
 * "model removed" — the simulated equivalent of unplugging that hardware. A node whose model is
 * removed is offered to the remaining factories.
 *
 * <p>Locking: add/remove/instantiate serialise on this object; translation reads
 * {@link HostedIommu#model()} without locking.
 */
public final class ModelHost {
    private static final Logger LOG = LoggerFactory.getLogger(ModelHost.class);
    /** Node property listing model options as "key=value" strings. */
    public static final String OPTIONS_PROPERTY = "iommulab,model-options";
    /** Machine property prefix: {@code iommulab.model.<node path>.<key>=<value>}. */
    public static final String OPTIONS_PREFIX = "iommulab.model.";

    private final PhysicalMemory memory;
    private final MmioBus bus;
    private final PowerDomains power;
    private final TranslationCheck check;
    private final BiFunction<DtNode, Integer, IrqSource> irqs;
    private final Map<String, String> properties;
    private final Map<String, HostedIommu> iommus = new LinkedHashMap<>();
    private final List<IommuModelFactory> factories = new ArrayList<>();
    private final Map<HostedIommu, ModelContextImpl> contexts = new IdentityHashMap<>();
    private final FailNth failNth;

    /**
     * @param iommuNodes every node with {@code #iommu-cells}, in DT order
     * @param irqs       resolves (node, interrupt index) to the model end of the line
     * @param properties machine properties (model options)
     * @param failNth    the machine's fail-nth countdown, which the models' injection points ask
     */
    public ModelHost(List<DtNode> iommuNodes, PhysicalMemory memory, MmioBus bus, PowerDomains power,
                     BiFunction<DtNode, Integer, IrqSource> irqs, TranslationCheck check, Map<String, String> properties,
                     FailNth failNth) {
        this.check = check;
        this.failNth = failNth;
        this.memory = memory;
        this.bus = bus;
        this.power = power;
        this.irqs = irqs;
        this.properties = Map.copyOf(properties);
        for (DtNode n : iommuNodes) {
            iommus.put(n.path(), new HostedIommu(n, n.isAvailable() ? noModel(n) : "disabled"));
        }
    }

    private static String noModel(DtNode n) {
        List<String> c = n.compatible();
        return "no hardware model for compatible " + (c.isEmpty() ? "(none)" : String.join(", ", c));
    }

    /** @return the hosted IOMMU at a path, or null */
    public synchronized HostedIommu iommu(String path) {
        return iommus.get(path);
    }

    /** @return every IOMMU node, in DT order */
    public synchronized List<HostedIommu> iommus() {
        return List.copyOf(iommus.values());
    }

    /** @return the api view of every IOMMU node */
    public synchronized List<IommuHardware> hardware() {
        List<IommuHardware> out = new ArrayList<>(iommus.size());
        for (HostedIommu h : iommus.values()) {
            out.add(h.describe());
        }
        return Collections.unmodifiableList(out);
    }

    /** @return number of IOMMU nodes with a model */
    public synchronized int modelled() {
        int n = 0;
        for (HostedIommu h : iommus.values()) {
            n += h.model() != null ? 1 : 0;
        }
        return n;
    }

    /** @return registered factories, in arrival order */
    public synchronized List<IommuModelFactory> factories() {
        return List.copyOf(factories);
    }

    /** Registers a factory and instantiates models for the unmodelled available nodes it matches. */
    public synchronized void addFactory(IommuModelFactory f) {
        addFactories(List.of(f));
    }

    /**
     * Registers several factories at once (boot): every node is matched against all of them, so
     * the node's most specific compatible decides regardless of the order the factories came in.
     */
    public synchronized void addFactories(List<IommuModelFactory> fs) {
        for (IommuModelFactory f : fs) {
            if (factories.stream().noneMatch(g -> g == f)) {
                factories.add(f);
            }
        }
        for (HostedIommu h : iommus.values()) {
            if (h.model() == null && h.node().isAvailable()) {
                instantiate(h);
            }
        }
    }

    /** Removes a factory: its models' blocks are unmapped and their nodes offered to the others. */
    public synchronized void removeFactory(IommuModelFactory f) {
        if (!factories.removeIf(g -> g == f)) {
            return;
        }
        for (HostedIommu h : iommus.values()) {
            if (h.factory() == f) {
                ModelContextImpl ctx = contexts.remove(h);
                if (ctx != null) {
                    ctx.unmapAll();
                }
                h.detach("model removed: factory " + f.name() + " went away with its bundle");
                LOG.debug("machine: {}: model {} removed", h.path(), f.name());
                if (match(h.node()) != null) {
                    instantiate(h);
                }
            }
        }
    }

    /** First factory implementing the node's most specific compatible (node order decides). */
    private IommuModelFactory match(DtNode node) {
        for (String c : node.compatible()) {
            for (IommuModelFactory f : factories) {
                if (f.compatibles().contains(c)) {
                    return f;
                }
            }
        }
        return null;
    }

    private void instantiate(HostedIommu h) {
        IommuModelFactory f = match(h.node());
        if (f == null) {
            return;
        }
        ModelContextImpl ctx = new ModelContextImpl(h.node(), memory, bus, power.gate(h.node()), irqs, check, f.name(),
                options(h.node()), failNth);
        try {
            IommuModel m = f.create(ctx);
            if (m == null) {
                throw new IllegalStateException("factory " + f.name() + " returned no model");
            }
            contexts.put(h, ctx);
            h.attach(f, m, ctx.blocks());
            LOG.debug("machine: {}: model {}", h.path(), f.name());
        } catch (RuntimeException e) {
            // A model that cannot be built leaves the node unmodelled; it never breaks the boot.
            ctx.unmapAll();
            // The user's mistake (an option, a size) or the model's bug: one line either way; the
            // stack trace of a bug only with --verbose.
            String why = e.getMessage() != null ? e.getMessage() : e.toString();
            h.detach(why);
            LOG.error("machine: {}: model {} failed to start: {}", h.path(), f.name(), e instanceof IommuException ? why : e.toString());
            LOG.debug("machine: {}: model {} failed to start", h.path(), f.name(), e);
        }
    }

    /** Options from the node's {@code iommulab,model-options}, overridden by machine properties. */
    Map<String, String> options(DtNode node) {
        Map<String, String> out = new TreeMap<>();
        node.property(OPTIONS_PROPERTY).map(DtProperty::strings).orElse(List.of()).forEach(kv -> {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                out.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            } else if (!kv.isBlank()) {
                out.put(kv.trim(), "true");
            }
        });
        String prefix = OPTIONS_PREFIX + node.path() + ".";
        properties.forEach((k, v) -> {
            if (k.startsWith(prefix) && k.length() > prefix.length()) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return Collections.unmodifiableMap(out);
    }
}
