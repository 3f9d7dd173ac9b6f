package io.iommulab.dart.impl;

import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.dart.spi.DartVariant;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.component.ComponentException;
import org.osgi.service.component.ComponentFactory;
import org.osgi.service.component.ComponentInstance;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts one {@link AppleDartDriver} per {@link DartVariant} service and disposes of it when the
 * variant goes: the driver's {@code IommuDriver} service then comes and goes with the variant, and
 * the core probes or removes the variant's DARTs through its usual driver add/remove.
 *
 * <p>Each driver instance gets {@code variant.target} = the variant's service id (it binds exactly
 * that service), {@code formats.target} = the variant's page-table format, the
 * {@value DartVariant#PROPERTY} property, and, for a variant from another bundle,
 * {@value #ORIGIN_PROPERTY} = that bundle, which the core shows with the driver's own bundle ({@code iommu:iommus}) and
 * {@code dart:darts} shows per DART.
 *
 * <p>Fields: {@code factory} the driver component factory; {@code drivers} the instance per
 * variant service id (guarded by this).
 */
@Component(immediate = true)
public final class DartVariantTracker {

    private static final Logger LOG = LoggerFactory.getLogger(DartVariantTracker.class);
    /**
     * The core's service property naming another bundle a driver's behaviour comes from:
     * {@code IommuCore.ORIGIN_PROPERTY} in the core bundle ({@code io.iommulab.core.impl.IommuCore}),
     * which this bundle does not import, so the string is repeated here.
     */
    static final String ORIGIN_PROPERTY = "iommulab.origin";

    private final ComponentFactory<AppleDartDriver> factory;
    private final Map<Long, ComponentInstance<AppleDartDriver>> drivers = new HashMap<>();
    private boolean active = true;

    @Activate
    public DartVariantTracker(@Reference(name = "factory", target = "(component.factory=" + AppleDartDriver.FACTORY + ")")
            ComponentFactory<AppleDartDriver> factory) {
        this.factory = factory;
    }

    /** A variant appeared: start its driver. */
    @Reference(service = DartVariant.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "removeVariant")
    void addVariant(DartVariant variant, Map<String, Object> props) {
        Long id = (Long) props.get(Constants.SERVICE_ID);
        String name = variant.hw().identity().name();
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("variant.target", "(" + Constants.SERVICE_ID + "=" + id + ")");
        p.put("formats.target", "(" + PageTableFormat.PROPERTY + "=" + variant.hw().identity().pgtableFormat() + ")");
        p.put(DartVariant.PROPERTY, name);
        // a variant service is a component of the bundle that registers it; built-in variants
        // come from this bundle, which the core already names as the driver's
        Bundle from = FrameworkUtil.getBundle(variant.getClass());
        String origin = from == null || from.equals(FrameworkUtil.getBundle(getClass())) ? null
                : AppleDartDriver.bundleName(from);
        if (origin != null) {
            p.put(ORIGIN_PROPERTY, origin);
        }
        synchronized (this) {
            if (!active || drivers.containsKey(id)) {
                return;
            }
            try {
                drivers.put(id, factory.newInstance(p));
                LOG.debug("apple-dart: driver for variant {} started (compatibles {})", name, variant.hw().identity().compatibles());
            } catch (ComponentException e) {
                LOG.error("apple-dart: cannot start the driver for variant {}: {}", name, e.getMessage(), e);
            }
        }
    }

    /** A variant went away: its driver goes (the core removes its DARTs, which resets them). */
    void removeVariant(DartVariant variant, Map<String, Object> props) {
        ComponentInstance<AppleDartDriver> ci;
        synchronized (this) {
            ci = drivers.remove((Long) props.get(Constants.SERVICE_ID));
        }
        if (ci != null) {
            ci.dispose();
            LOG.debug("apple-dart: driver for variant {} stopped", variant.hw().identity().name());
        }
    }

    @Deactivate
    void deactivate() {
        Map<Long, ComponentInstance<AppleDartDriver>> all;
        synchronized (this) {
            active = false;
            all = new HashMap<>(drivers);
            drivers.clear();
        }
        all.values().forEach(ComponentInstance::dispose);
    }
}
