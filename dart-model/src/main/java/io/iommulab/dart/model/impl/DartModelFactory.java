package io.iommulab.dart.model.impl;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.TwinNode;
import io.iommulab.api.hw.TwinSource;
import io.iommulab.dart.model.spi.DartModelHw;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes a {@link DartModel} for the DART nodes of some variants. In the framework the
 * {@link DartModelVariantTracker} registers one per variant service (so a variant's DARTs are
 * plugged in and out with its hardware bundle); without OSGi one factory can hold several, e.g.
 * {@code SimMachine.boot(tree, List.of(DartModelFactory.builtIn()), props)}. Every instance is named
 * {@value #NAME}: the machine lists and twins the DART model by that name.
 *
 * <p>Fields: {@code variants} in match order; {@code compatibles} their compatible strings.
 */
public final class DartModelFactory implements IommuModelFactory {

    /** Model name in listings. */
    public static final String NAME = "apple-dart";

    /** The DART twin stands in with the newest DART (t8110: 256 streams, up to 511 by strapping). */
    static final String TWIN_COMPATIBLE = DartModelVariants.T8110.compatibles().get(0);
    private static final long TWIN_REG_SIZE = 0x4000;

    private final List<DartModelHw> variants;
    private final List<String> compatibles;

    /** @param variants the variants whose DARTs this factory models (a compatible listed twice: the first wins) */
    public DartModelFactory(List<DartModelHw> variants) {
        this.variants = List.copyOf(variants);
        Set<String> c = new LinkedHashSet<>();
        this.variants.forEach(v -> c.addAll(v.compatibles()));
        this.compatibles = List.copyOf(c);
    }

    /** @return a factory for the variants this bundle brings itself (t8103, t6000, t6020, t8110) */
    public static DartModelFactory builtIn() {
        return new DartModelFactory(DartModelVariants.ALL);
    }

    /** @return a factory for the built-in variants and {@code more} (variants of other hardware bundles) */
    public static DartModelFactory builtInAnd(DartModelHw... more) {
        List<DartModelHw> all = new ArrayList<>(DartModelVariants.ALL);
        all.addAll(List.of(more));
        return new DartModelFactory(all);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> compatibles() {
        return compatibles;
    }

    /**
     * @throws IommuException EINVAL for a bad model option (the machine then reports the node as
     *         unmodelled with that message), ENODEV if none of the node's compatibles is one of ours
     */
    @Override
    public IommuModel create(ModelContext context) {
        return new DartModel(context, variantOf(context.node().compatible(), context.node().path()));
    }

    /** The variant of the node's first compatible that one of ours lists, as Linux matches its table (dart-facts §1.1). */
    private DartModelHw variantOf(List<String> nodeCompatibles, String node) {
        for (String c : nodeCompatibles) {
            for (DartModelHw v : variants) {
                if (v.compatibles().contains(c)) {
                    return v;
                }
            }
        }
        throw new IommuException(Errno.ENODEV, String.format("%s: apple-dart model implements none of %s", node, nodeCompatibles));
    }

    /**
     * Only the factory that models the twin's own compatible makes twins: the nodes it writes must be
     * hardware it can build.
     */
    @Override
    public boolean makesTwins() {
        return compatibles.contains(TWIN_COMPATIBLE);
    }

    /**
     * One t8110 DART per source: apple-dart serves a master from several DARTs (a dwc3 sits behind
     * two), so nothing is merged. A source whose masters use stream ids beyond what a t8110 can be
     * strapped for cannot be stood in for.
     */
    @Override
    public List<TwinNode> twin(List<TwinSource> linked) {
        if (!makesTwins()) {
            return List.of();
        }
        List<TwinNode> out = new ArrayList<>();
        int defaultSids = DartModelVariants.T8110.streams().count();
        for (TwinSource s : linked) {
            if (s.streams() > DartConfig.MAX_STREAMS) {
                return List.of();
            }
            List<String> options = s.streams() > defaultSids ? List.of(DartConfig.STREAMS + "=" + s.streams()) : List.of();
            out.add(new TwinNode(List.of(TWIN_COMPATIBLE), TWIN_REG_SIZE, 1, 1, Map.of(), options));
        }
        return out;
    }

    @Override
    public String toString() {
        return NAME + " " + variants.stream().map(DartModelHw::name).toList();
    }
}
