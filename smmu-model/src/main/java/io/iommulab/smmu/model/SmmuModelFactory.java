package io.iommulab.smmu.model;

import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.TwinNode;
import io.iommulab.api.hw.TwinSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.osgi.service.component.annotations.Component;

/**
 * Makes an {@link SmmuModel} for every {@code arm,smmu-v2} node of a board, and stands in for other
 * IOMMUs in board twins (contract "Board twin recipe"). Registered as a service so the machine
 * bundle hands it to the machine; usable without OSGi as
 * {@code SimMachine.boot(tree, List.of(new SmmuModelFactory()), props)}.
 */
@Component(service = IommuModelFactory.class, property = "device.compatible=" + SmmuModelFactory.COMPATIBLE)
public final class SmmuModelFactory implements IommuModelFactory {

    /** Model name in listings. */
    public static final String NAME = "arm-smmu-v2";
    /** The compatible the model implements. */
    public static final String COMPATIBLE = "arm,smmu-v2";
    /** Fewest context banks a twin gets. */
    static final int TWIN_MIN_BANKS = 8;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> compatibles() {
        return List.of(COMPATIBLE);
    }

    /**
     * @throws io.iommulab.api.error.IommuException EINVAL for a bad model option or a {@code reg}
     *         too small for the context banks (the machine then reports the node as unmodelled with
     *         that message)
     */
    @Override
    public IommuModel create(ModelContext context) {
        return new SmmuModel(context);
    }

    @Override
    public boolean makesTwins() {
        return true;
    }

    /**
     * One SMMU for the whole linked set: arm-smmu serves a master from one SMMU instance only, so
     * IOMMUs that share a master become one. It gets two context banks per distinct master (a
     * master may hold a DMA domain and a second one during a domain switch), at least 8 and at most
     * 128, a register block of 2 * NUMPAGE pages for them, one global interrupt followed by one
     * context interrupt per bank (all on the source's line), one-cell {@code iommus}, and
     * as many stream-match registers as the set has stream ids (at least the default 32, at most 128).
     * A set whose stream ids need more than 15 bits cannot be stood in for (an SMR holds 15 bits
     * without extended stream ids): the twin then fails naming the node.
     */
    @Override
    public List<TwinNode> twin(List<TwinSource> linked) {
        Set<String> masters = new LinkedHashSet<>();
        Set<Integer> sids = new java.util.HashSet<>();
        int streams = 0;
        for (TwinSource s : linked) {
            masters.addAll(s.masters());
            sids.addAll(s.sids());
            streams = Math.max(streams, s.streams());
        }
        int distinct = sids.size();
        int sidBits = streams <= 1 ? 1 : 32 - Integer.numberOfLeadingZeros(streams - 1);
        if (sidBits > SmmuConfig.MAX_SID_BITS) {
            return List.of();
        }
        int banks = Math.min(SmmuConfig.MAX_CONTEXT_BANKS, Math.max(TWIN_MIN_BANKS, 2 * masters.size()));
        List<String> options = new ArrayList<>();
        options.add(SmmuConfig.CONTEXT_BANKS + "=" + banks);
        if (distinct > SmmuConfig.DEFAULT_SMRS) {
            options.add(SmmuConfig.SMRS + "=" + Math.min(SmmuConfig.MAX_SMRS, distinct));
        }
        return List.of(new TwinNode(List.of(COMPATIBLE), SmmuConfig.blockSize(banks), 1 + banks, 1,
                Map.of(SmmuConfig.GLOBAL_INTERRUPTS, 1), options));
    }
}
