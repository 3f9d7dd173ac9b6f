package io.iommulab.core.impl;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.driver.Capability;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.FailNth;
import io.iommulab.core.impl.dma.DmaDebug;
import io.iommulab.core.impl.sanitize.IommuPages;
import io.iommulab.core.impl.sanitize.Sanitizer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core's domains: allocation (iommu_domain_alloc, iommu_paging_domain_alloc, the default
 * domain of iommu_setup_default_domain with its type choice) and freeing (iommu_domain_free), and
 * the table of live domains by id. The engine calls it under its lock; it knows nothing of groups
 * or masters beyond the one a domain is allocated for.
 */
final class Domains {

    /** the core's log category, as before this part left IommuCoreEngine (users filter on it) */
    private static final Logger LOG = LoggerFactory.getLogger(IommuCoreEngine.class);

    private final IommuCoreEngine engine;
    private final FailNth failNth;
    private final IommuPages iommuPages;
    private final Sanitizer sanitizer;
    private final DmaDebug dmaDebug;
    private final TreeMap<Integer, DomainImpl> byId = new TreeMap<>();
    private final AtomicInteger nextId = new AtomicInteger(1);

    Domains(IommuCoreEngine engine, FailNth failNth, IommuPages iommuPages, Sanitizer sanitizer, DmaDebug dmaDebug) {
        this.engine = engine;
        this.failNth = failNth;
        this.iommuPages = iommuPages;
        this.sanitizer = sanitizer;
        this.dmaDebug = dmaDebug;
    }

    /** @return the live domains by id (the engine's views read it under the lock) */
    Map<Integer, DomainImpl> table() {
        return byId;
    }

    /** @return the live domains, in id order */
    List<DomainImpl> all() {
        return List.copyOf(byId.values());
    }

    /** @return the live domains of {@code driver}, in id order */
    List<DomainImpl> of(IommuDriver driver) {
        List<DomainImpl> out = new ArrayList<>();
        for (DomainImpl d : byId.values()) {
            if (d.driverService() == driver) {
                out.add(d);
            }
        }
        return out;
    }

    /**
     * iommu_setup_default_domain for a group's first device: the type the driver asks for, else
     * the configured one; identity or blocked fall back to DMA when the driver cannot provide them.
     * The device is attached on return.
     */
    DomainImpl setupDefault(int group, MasterImpl m, IommuDriver driver, CoreConfig c) {
        DomainType want = defDomainType(driver, m);
        DomainType type = dmaType(driver, m, want != null ? want : c.defaultDomain(), c);
        if (type == DomainType.IDENTITY || type == DomainType.BLOCKED) {
            DomainOps ops = type == DomainType.IDENTITY ? driver.identityDomain() : driver.blockedDomain();
            if (ops == null) {
                LOG.info("{}: driver {} has no {} domain, using DMA", m.name(), driver.name(), typeName(type));
            } else {
                DomainImpl d = create(type, driver, ops, false, m, new IommuPages.DomainTag());
                try {
                    d.attachDev(m);
                    return d;
                } catch (IommuException e) {
                    destroy(d, "default " + typeName(type) + " domain refused " + m.name());
                    if (e.errno() != Errno.EINVAL) {
                        throw e;
                    }
                    LOG.info("{}: {} domain does not fit, using DMA", m.name(), typeName(type));
                }
            }
            type = dmaType(driver, m, DomainType.DMA, c);
        }
        DomainImpl d = allocPaging(type, driver, m, false);
        try {
            d.attachDev(m);
        } catch (RuntimeException e) {
            destroy(d, "default domain of group " + group + " could not attach " + m.name());
            throw e;
        }
        return d;
    }

    /** iommu_domain_alloc by a user ({@code iommu:domain-alloc}): any type the device's driver has. */
    DomainImpl allocUser(MasterImpl m, DomainType type) {
        IommuDriver driver = m.driver;
        if (type == DomainType.IDENTITY || type == DomainType.BLOCKED) {
            DomainOps ops = type == DomainType.IDENTITY ? driver.identityDomain() : driver.blockedDomain();
            if (ops == null) {
                throw new IommuException(Errno.EOPNOTSUPP, "driver " + driver.name() + " of " + m.name()
                        + " has no " + typeName(type) + " domain");
            }
            return create(type, driver, ops, true, m, new IommuPages.DomainTag());
        }
        return allocPaging(type, driver, m, true);
    }

    private DomainImpl allocPaging(DomainType type, IommuDriver driver, MasterImpl m, boolean user) {
        IommuPages.DomainTag tag = new IommuPages.DomainTag();
        IommuPages.DomainTag previous = iommuPages.enter(tag);
        DomainOps ops;
        try {
            ops = driver.domainAllocPaging(m);
        } finally {
            iommuPages.leave(previous);
        }
        if (ops == null) {
            throw new IommuException(Errno.ENOMEM, "driver " + driver.name() + " allocated no paging domain for " + m.name());
        }
        try {
            return create(type, driver, ops, user, m, tag); // which tells the ops their id (domain_init)
        } catch (RuntimeException e) {
            ops.free();
            throw e;
        }
    }

    /**
     * The core's half of a domain allocation (iommu_domain_init: the struct, the DMA cookie), for
     * {@code m}; an injection point of fail-nth ({@link FailNth#DOMAIN_ALLOC}): ENOMEM before any
     * id is taken. The caller frees the driver's ops on failure.
     */
    private DomainImpl create(DomainType type, IommuDriver driver, DomainOps ops, boolean user, MasterImpl m,
            IommuPages.DomainTag tag) {
        if (failNth.shouldFail(FailNth.DOMAIN_ALLOC, m.name())) {
            throw new IommuException(Errno.ENOMEM, "no memory for a " + typeName(type) + " domain of " + m.name()
                    + " (fail-nth: injected)");
        }
        DomainImpl d = new DomainImpl(engine, nextId.getAndIncrement(), type, driver, ops, user, tag);
        byId.put(d.id(), d);
        sanitizer.domainCreated(d);
        return d;
    }

    /**
     * iommu_domain_free by a user: refused while a group is on it or has it as its default domain.
     *
     * @throws IommuException ENODEV (freed already), EBUSY (in use)
     */
    void free(DomainImpl d, Collection<GroupImpl> groups) {
        if (d.isFreed()) {
            throw new IommuException(Errno.ENODEV, "domain " + d.id() + " was already freed");
        }
        for (GroupImpl g : groups) {
            if (g.domain == d) {
                throw new IommuException(Errno.EBUSY, "domain " + d.id() + " is attached to group " + g.id());
            }
            if (g.defaultDomain == d) {
                throw new IommuException(Errno.EBUSY, "domain " + d.id() + " is the default domain of group " + g.id());
            }
        }
        destroy(d, "freed");
    }

    /** The domain goes: its ops freed (a failing free is logged), the sanitizer and dma-debug told. */
    void destroy(DomainImpl d, String why) {
        byId.remove(d.id());
        try {
            d.destroy(why);
        } catch (RuntimeException e) {
            LOG.warn("domain {}: free failed: {}", d.id(), IommuCoreEngine.message(e), e);
        } finally {
            sanitizer.domainDestroyed(d); // after its flush queue drained in destroy
            dmaDebug.domainFreed(d.id());
        }
    }

    /**
     * @return {@code domain} as one of these live domains
     * @throws IommuException ENODEV (freed), EINVAL (not made by this core)
     */
    DomainImpl own(IommuDomain domain) {
        if (!(domain instanceof DomainImpl d) || byId.get(d.id()) != d) {
            if (domain instanceof DomainImpl d && d.isFreed()) {
                throw new IommuException(Errno.ENODEV, "domain " + d.id() + " was freed");
            }
            throw new IommuException(Errno.EINVAL, "domain " + (domain == null ? "null" : String.valueOf(domain.id()))
                    + " is not a domain of this IOMMU core");
        }
        return d;
    }

    /** The driver's def_domain_type; a failing callback counts as no preference. */
    static DomainType defDomainType(IommuDriver driver, IommuMaster m) {
        try {
            return driver.defDomainType(m);
        } catch (RuntimeException e) {
            LOG.warn("{}: def_domain_type of {} failed: {}", m.name(), driver.name(), IommuCoreEngine.message(e));
            return null;
        }
    }

    /** DMA becomes DMA-FQ when not strict and the driver can flush lazily; DMA-FQ becomes DMA when it cannot. */
    private static DomainType dmaType(IommuDriver driver, MasterImpl m, DomainType t, CoreConfig c) {
        boolean fq = capable(driver, m, Capability.DEFERRED_FLUSH);
        if (t == DomainType.DMA && !c.strict() && fq) {
            return DomainType.DMA_FQ;
        }
        if (t == DomainType.DMA_FQ && !fq) {
            return DomainType.DMA;
        }
        return t;
    }

    private static boolean capable(IommuDriver driver, IommuMaster m, Capability c) {
        try {
            return driver.capable(m, c);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String typeName(DomainType t) {
        return IommuCoreEngine.typeName(t);
    }
}
