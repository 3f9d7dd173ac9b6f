package io.iommulab.core.impl.update;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import java.io.File;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.felix.fileinstall.ArtifactInstaller;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deploy folder's half of a live update. A jar dropped there whose Bundle-SymbolicName is
 * already installed from elsewhere (the launcher's own copy, an {@code install}) updates that
 * bundle under the running machine, as {@code iommu:liveupdate} does; the jar changed again
 * updates it again. Removing the jar puts the bundle back on the code at its own location (the
 * launcher's copy): it is not uninstalled.
 *
 * <p>Without this FileInstall (3.7) would install a second bundle beside the first when the
 * versions differ, and when they are the same it would update the bundle in place but count it as
 * its own, so that removing the jar uninstalled the launcher's bundle. FileInstall asks the
 * installers it finds before its own ({@code ArtifactInstaller.canHandle}); jars of bundles not
 * installed yet are left to it, as before.
 */
@Component(service = ArtifactInstaller.class)
public final class DeployedBundles implements ArtifactInstaller {

    private static final Logger LOG = LoggerFactory.getLogger(DeployedBundles.class);
    private static final String REFERENCE = "reference:";

    private final BundleContext context;
    private final BundleUpdater updater;
    /** jars in the folder that updated a bundle, and which */
    private final Map<File, Long> deployed = new ConcurrentHashMap<>();

    @Activate
    public DeployedBundles(BundleContext context, @Reference BundleUpdater updater) {
        this.context = context;
        this.updater = updater;
    }

    @Override
    public boolean canHandle(File artifact) {
        if (!artifact.isFile() || !artifact.getName().endsWith(".jar")) {
            return false;
        }
        try {
            return target(artifact, BundleArgs.symbolicName(artifact.toPath())) != null;
        } catch (IommuException e) {
            return false; // not a bundle: FileInstall says so if it cannot take it either
        }
    }

    @Override
    public void install(File artifact) {
        update(artifact);
    }

    @Override
    public void update(File artifact) {
        try {
            String bsn = BundleArgs.symbolicName(artifact.toPath());
            Bundle b = target(artifact, bsn);
            if (b == null) {
                throw new IommuException(Errno.ENOENT, "no single bundle " + bsn + " installed from elsewhere to update");
            }
            LOG.info("{} in the deploy folder updates {} [{}]", artifact, bsn, b.getBundleId());
            deployed.put(artifact, b.getBundleId());
            updater.update(b, artifact.toPath());
        } catch (IommuException e) {
            refused(artifact, e);
        }
    }

    @Override
    public void uninstall(File artifact) {
        Long id = deployed.remove(artifact);
        Bundle b = id == null ? null : context.getBundle(id);
        if (b == null) {
            return;
        }
        LOG.info("{} left the deploy folder: {} [{}] goes back to the code at its own location", artifact,
                b.getSymbolicName(), b.getBundleId());
        try {
            updater.update(b, null);
        } catch (IommuException e) {
            refused(artifact, e);
        }
    }

    /**
     * Said in one line here rather than as FileInstall's stack trace; FileInstall tries the jar
     * again when it changes.
     */
    private static void refused(File artifact, IommuException e) {
        LOG.warn("{}: {}", artifact, e.getMessage());
    }

    /** @return the one installed bundle named {@code bsn} that was not installed from this file; null if none or several */
    private Bundle target(File artifact, String bsn) {
        Bundle found = null;
        for (Bundle b : context.getBundles()) {
            if (b.getBundleId() == 0 || !bsn.equals(b.getSymbolicName())) {
                continue;
            }
            if (found != null || installedFrom(b, artifact)) {
                return null;
            }
            found = b;
        }
        return found;
    }

    /** @return true if the bundle's location is this file ({@code file:}, {@code file://}, {@code reference:file:}) */
    private static boolean installedFrom(Bundle b, File artifact) {
        String loc = b.getLocation();
        if (loc.startsWith(REFERENCE)) {
            loc = loc.substring(REFERENCE.length());
        }
        try {
            URI uri = new URI(loc);
            return "file".equals(uri.getScheme())
                    && Path.of(uri).normalize().equals(artifact.toPath().toAbsolutePath().normalize());
        } catch (URISyntaxException | IllegalArgumentException e) {
            return false; // not a file: URL
        }
    }
}
