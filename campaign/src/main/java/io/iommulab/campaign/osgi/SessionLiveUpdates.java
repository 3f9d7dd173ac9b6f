package io.iommulab.campaign.osgi;

import io.iommulab.api.dto.IommuNodeDTO;
import io.iommulab.campaign.run.LiveUpdates;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * Live updates in the container, through the shell's {@code iommu:liveupdate} (the core's bundle
 * updater, which waits until every driver that left was taken over), each in a session of its own
 * on a thread of its own, closed again: a campaign runs hundreds of updates, and the command's
 * session must not keep one of them. Its output (the bundle's line) is dropped: the report counts the updates,
 * and a failure is the command's exception. The bundles of a backend are those its IOMMUs name as
 * their code's origin (the driver, a variant bundle), and those whose page-table format services
 * the driver bundles use.
 */
final class SessionLiveUpdates implements LiveUpdates {
    static final String FORMAT_SERVICE = "io.iommulab.api.pgtable.PageTableFormat";

    private final CommandProcessor processor;
    private final BundleContext context;

    SessionLiveUpdates(CommandProcessor processor, BundleContext context) {
        this.processor = processor;
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

    /**
     * {@inheritDoc}
     *
     * <p>On a thread of its own: a command run from the campaign's thread would become a child job
     * of the campaign's own command, which keeps every child (and its pipe's streams) until it ends.
     */
    @Override
    public void update(String bundle) throws Exception {
        Exception[] failed = new Exception[1];
        Thread t = new Thread(() -> {
            OutputStream none = OutputStream.nullOutputStream();
            CommandSession s = processor.createSession(InputStream.nullInputStream(), none, none);
            try {
                s.execute("iommu:liveupdate " + bundle);
            } catch (Exception e) {
                failed[0] = e;
            } finally {
                s.close();
            }
        }, "campaign-liveupdate " + bundle);
        t.start();
        t.join();
        if (failed[0] != null) {
            throw failed[0];
        }
    }
}
