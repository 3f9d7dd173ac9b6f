package io.iommulab.campaign.osgi;

import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.campaign.run.LiveUpdates;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.felix.service.command.CommandSession;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * Live updates in the container, through the shell's {@code iommu:liveupdate} (the core's bundle
 * updater, which waits until every driver that left was taken over). The bundles of a backend are
 * those its IOMMUs name as their code's origin (the driver, a variant bundle), and those whose
 * page-table format services the driver bundles use.
 */
final class SessionLiveUpdates implements LiveUpdates {
    static final String FORMAT_SERVICE = "io.iommulab.api.pgtable.PageTableFormat";

    private final CommandSession session;
    private final BundleContext context;

    SessionLiveUpdates(CommandSession session, BundleContext context) {
        this.session = session;
        this.context = context;
    }

    @Override
    public List<String> bundles(List<IommuNodeDTO> iommus) {
        Set<String> drivers = new LinkedHashSet<>();
        for (IommuNodeDTO n : iommus) {
            if (n.origin() == null) {
                continue;
            }
            for (String part : n.origin().split("\\+")) {
                String bsn = part.strip().split("\\s+")[0];
                if (!bsn.isEmpty()) {
                    drivers.add(bsn);
                }
            }
        }
        Set<String> out = new LinkedHashSet<>(drivers);
        try {
            ServiceReference<?>[] formats = context.getAllServiceReferences(FORMAT_SERVICE, null);
            for (ServiceReference<?> ref : formats == null ? new ServiceReference<?>[0] : formats) {
                Bundle[] users = ref.getUsingBundles();
                for (Bundle u : users == null ? new Bundle[0] : users) {
                    if (drivers.contains(u.getSymbolicName()) && ref.getBundle() != null) {
                        out.add(ref.getBundle().getSymbolicName());
                    }
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e); // no filter is given
        }
        return List.copyOf(out);
    }

    @Override
    public void update(String bundle) throws Exception {
        session.execute("iommu:liveupdate " + bundle);
    }
}
