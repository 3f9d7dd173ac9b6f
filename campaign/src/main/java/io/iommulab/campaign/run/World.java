package io.iommulab.campaign.run;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.dma.DmaSegment;
import io.iommulab.campaign.oracle.DomainModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the oracle says the lab holds now: the campaign's domains (slots), which group is attached
 * where, each domain's mappings ({@link DomainModel}), the DMA-API mappings of every master. Every
 * operation changes it only as the oracle expects; the checks compare the lab with it.
 */
final class World {
    /** slots the generator uses; a replay line may name up to 64 */
    static final int SLOTS = 64;
    static final int HANDLES = 64;

    /** A domain the campaign allocated. */
    static final class Slot {
        final IommuDomain domain;
        final DomainType type;
        final String allocDev;
        final String allocSignature;
        /** the mappings; null for identity and blocked */
        final DomainModel model;
        /** the signature of the IOMMU it is bound to: at its allocation or first attach, null before */
        String bound;
        /** true once it has a table to map into */
        boolean table;
        /** true once it holds one of its IOMMU's limited resources (a context bank) */
        boolean holds;
        /**
         * true after a live update that found it attached to nothing: the new code may take such a
         * domain over unbound, to be bound by its next attach to whatever IOMMU its table fits (the
         * DART's documented takeover, docs/live-update.md), so that attach may succeed where the
         * old binding refused it
         */
        boolean loose;

        Slot(IommuDomain domain, DomainType type, String allocDev, String allocSignature, DomainModel model) {
            this.domain = domain;
            this.type = type;
            this.allocDev = allocDev;
            this.allocSignature = allocSignature;
            this.model = model;
        }
    }

    /** The domain a group is attached to now: a slot's, or its default. */
    record Current(IommuDomain domain, DomainType type, DomainModel model, String signature) {
    }

    /** A DMA-API mapping of one master. */
    static final class Handle {
        final IommuDomain domain;
        final DomainModel model;
        final boolean identity;
        /** mapped by dma_map_sg (unmapped by dma_unmap_sg) */
        final boolean sg;
        final List<DmaSegment> segments;
        /** the IOVA range the mapping takes, padded to whole pages */
        final long iova;
        final long len;

        Handle(IommuDomain domain, DomainModel model, boolean identity, boolean sg, List<DmaSegment> segments, long iova,
                long len) {
            this.domain = domain;
            this.model = model;
            this.identity = identity;
            this.sg = sg;
            this.segments = List.copyOf(segments);
            this.iova = iova;
            this.len = len;
        }
    }

    final Facts facts;
    final Slot[] slots = new Slot[SLOTS];
    /** group id to the slot it is attached to; absent: on its default domain */
    final Map<Integer, Integer> attached = new HashMap<>();
    /** group id to its default domain */
    final Map<Integer, IommuDomain> defaults = new HashMap<>();
    /** group id to the model of its default domain's DMA-API mappings (null for identity) */
    final Map<Integer, DomainModel> defaultModels = new HashMap<>();
    final Map<String, Handle[]> handles = new HashMap<>();
    /** signature to the paging domains of the campaign holding one of its IOMMU's resources */
    final Map<String, Integer> held = new HashMap<>();

    World(Facts facts) {
        this.facts = facts;
    }

    Handle[] handles(String dev) {
        return handles.computeIfAbsent(dev, d -> new Handle[HANDLES]);
    }

    /** @return the domain {@code group} is attached to now */
    Current current(int group) {
        Integer s = attached.get(group);
        if (s != null) {
            Slot slot = slots[s];
            return new Current(slot.domain, slot.type, slot.model, slot.bound != null ? slot.bound : slot.allocSignature);
        }
        Facts.Group g = facts.groups().get(group);
        return new Current(defaults.get(group), g.defaultType(), defaultModels.get(group), g.signature());
    }

    /** @return a slot's domain as {@link Current} */
    Current current(Slot s) {
        return new Current(s.domain, s.type, s.model, s.bound != null ? s.bound : s.allocSignature);
    }

    /** @return the groups attached to {@code domain} now */
    List<Integer> groupsOn(IommuDomain domain) {
        List<Integer> out = new ArrayList<>();
        for (Facts.Group g : facts.groups().values()) {
            if (current(g.id()).domain() == domain) {
                out.add(g.id());
            }
        }
        return out;
    }

    /** @return every stream of every master of the groups attached to {@code domain} */
    List<Facts.Stream> streamsOn(IommuDomain domain) {
        Set<Facts.Stream> out = new LinkedHashSet<>();
        for (int g : groupsOn(domain)) {
            for (String dev : facts.groups().get(g).devices()) {
                out.addAll(facts.master(dev).streams());
            }
        }
        return new ArrayList<>(out);
    }

    /** @return the slot holding {@code domain}, -1 if it is a default domain */
    int slotOf(IommuDomain domain) {
        for (int i = 0; i < SLOTS; i++) {
            if (slots[i] != null && slots[i].domain == domain) {
                return i;
            }
        }
        return -1;
    }
}
