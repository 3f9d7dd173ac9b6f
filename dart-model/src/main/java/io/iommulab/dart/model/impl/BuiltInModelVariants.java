package io.iommulab.dart.model.impl;

import io.iommulab.dart.model.spi.DartModelHw;
import io.iommulab.dart.model.spi.DartModelVariant;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Publishes the built-in variants as {@link DartModelVariant} services, as a variant hardware bundle
 * publishes its own, so the {@link DartModelVariantTracker} treats every variant alike. One
 * component registers all of them, in {@link DartModelVariants#ALL} order (t6020 before its t8110
 * fallback), because a machine that is already running takes a node's model from the first factory
 * that arrives for it.
 *
 * <p>Fields: {@code registrations} in registration order (guarded by this).
 */
@Component(immediate = true)
public final class BuiltInModelVariants {

    private final List<ServiceRegistration<DartModelVariant>> registrations = new ArrayList<>();

    @Activate
    void activate(BundleContext ctx) {
        for (DartModelHw hw : DartModelVariants.ALL) {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(DartModelVariant.PROPERTY, hw.name());
            DartModelVariant variant = () -> hw;
            ServiceRegistration<DartModelVariant> reg = ctx.registerService(DartModelVariant.class, variant, props);
            synchronized (this) {
                registrations.add(reg);
            }
        }
    }

    @Deactivate
    void deactivate() {
        List<ServiceRegistration<DartModelVariant>> all;
        synchronized (this) {
            all = new ArrayList<>(registrations);
            registrations.clear();
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                all.get(i).unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework unregisters a stopping bundle's services itself
            }
        }
    }
}
