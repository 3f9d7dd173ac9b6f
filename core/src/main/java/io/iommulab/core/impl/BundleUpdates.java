package io.iommulab.core.impl;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.startlevel.BundleStartLevel;

/**
 * What the core's components (the registered core, the lab factory) ask the framework about the
 * driver services they bind: whether one leaves in a live update, and which bundle its code comes
 * from.
 */
public final class BundleUpdates {

    /**
     * Service property a driver may carry naming another bundle its behaviour comes from (a DART
     * variant's bundle), shown with the driver's own bundle.
     */
    public static final String ORIGIN_PROPERTY = "iommulab.origin";

    private BundleUpdates() {
    }

    /**
     * A driver service (or the page-table code a driver needs) leaves in a live update when some
     * bundle is stopping only for a while: a bundle update or refresh stops it transiently, keeping
     * it persistently started, while a stop or an uninstall marks it stopped first. (A transient
     * stop that is not followed by a new version ends as an unload when the live-update timeout
     * passes.) The framework shutting down stops every bundle transiently too: that is no update.
     */
    public static boolean inProgress(BundleContext context) {
        if (context.getBundle(Constants.SYSTEM_BUNDLE_ID).getState() == Bundle.STOPPING) {
            return false;
        }
        for (Bundle b : context.getBundles()) {
            if (b.getState() == Bundle.STOPPING) {
                BundleStartLevel sl = b.adapt(BundleStartLevel.class);
                if (sl != null && sl.isPersistentlyStarted()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** @return "io.iommulab.dart 0.2.0.SNAPSHOT", and the variant's bundle when the driver names one; null without a bundle */
    public static String origin(ServiceReference<?> ref) {
        Bundle b = ref == null ? null : ref.getBundle();
        if (b == null) {
            return null;
        }
        String s = b.getSymbolicName() + " " + b.getVersion();
        Object variant = ref.getProperty(ORIGIN_PROPERTY);
        return variant != null ? s + " + " + variant : s;
    }
}
