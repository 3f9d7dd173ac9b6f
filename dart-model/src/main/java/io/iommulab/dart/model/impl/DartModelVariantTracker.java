package io.iommulab.dart.model.impl;

import io.iommulab.api.hw.IommuModelFactory;
import io.iommulab.dart.model.spi.DartModelHw;
import io.iommulab.dart.model.spi.DartModelVariant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
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
 * Registers one {@link IommuModelFactory} (a {@link DartModelFactory} of that variant alone) per
 * {@link DartModelVariant} service and unregisters it when the variant goes: the machine then plugs
 * the variant's DARTs in, or unplugs them, as it does for any model factory. The factory carries
 * {@value DartModelVariant#PROPERTY} and one {@code device.compatible} per compatible string.
 *
 * <p>A factory is registered directly rather than through a component factory: it has no
 * references of its own, and its life is exactly that of the variant service.
 *
 * <p>Fields: {@code context} this bundle's; {@code factories} the registration per variant
 * service id (null while it is being registered), and {@code active} (both guarded by this). The
 * machine is called (register, unregister) with no lock of ours held.
 */
@Component(immediate = true)
public final class DartModelVariantTracker {

    private static final Logger LOG = LoggerFactory.getLogger(DartModelVariantTracker.class);

    private final BundleContext context;
    private final Map<Long, ServiceRegistration<IommuModelFactory>> factories = new HashMap<>();
    private boolean active = true;

    @Activate
    public DartModelVariantTracker(BundleContext context) {
        this.context = context;
    }

    /** A variant appeared: its hardware can be plugged in. */
    @Reference(service = DartModelVariant.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY, unbind = "removeVariant")
    void addVariant(DartModelVariant variant, Map<String, Object> props) {
        Long id = (Long) props.get(Constants.SERVICE_ID);
        DartModelHw hw = variant.hw();
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(DartModelVariant.PROPERTY, hw.name());
        p.put("device.compatible", hw.compatibles().toArray(new String[0]));
        synchronized (this) {
            if (!active || factories.containsKey(id)) {
                return;
            }
            factories.put(id, null); // pending: the machine plugs the hardware in during registerService
        }
        ServiceRegistration<IommuModelFactory> reg = context.registerService(IommuModelFactory.class,
                new DartModelFactory(List.of(hw)), p);
        boolean kept;
        synchronized (this) {
            // the variant may have gone (or this component stopped) while the hardware was plugged in
            kept = active && factories.containsKey(id);
            if (kept) {
                factories.put(id, reg);
            }
        }
        if (!kept) {
            unregister(reg);
            return;
        }
        LOG.debug("apple-dart model: variant {} plugged in (compatibles {})", hw.name(), hw.compatibles());
    }

    /** A variant went away: its DARTs are unplugged (the machine unmaps them; their drivers are removed). */
    void removeVariant(DartModelVariant variant, Map<String, Object> props) {
        ServiceRegistration<IommuModelFactory> reg;
        synchronized (this) {
            reg = factories.remove((Long) props.get(Constants.SERVICE_ID));
        }
        if (reg != null) {
            unregister(reg);
            LOG.debug("apple-dart model: variant {} unplugged", variant.hw().name());
        }
    }

    @Deactivate
    void deactivate() {
        List<ServiceRegistration<IommuModelFactory>> all;
        synchronized (this) {
            active = false;
            all = new ArrayList<>(factories.values());
            factories.clear();
        }
        all.stream().filter(Objects::nonNull).forEach(DartModelVariantTracker::unregister);
    }

    private static void unregister(ServiceRegistration<IommuModelFactory> reg) {
        try {
            reg.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the framework unregisters a stopping bundle's services itself
        }
    }
}
