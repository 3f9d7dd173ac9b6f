package io.iommulab.core.impl.update;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;

/**
 * The BUNDLE and FILE of a bundle update, checked before anything changes: a refusal names the
 * argument and its value.
 */
final class BundleArgs {

    private BundleArgs() {
    }

    /**
     * @param arg a bundle id or a Bundle-SymbolicName
     * @return the one installed bundle it names
     * @throws IommuException ENOENT when none, EINVAL when the name fits several or names the framework
     */
    static Bundle bundle(BundleContext ctx, String arg) {
        String a = arg.trim();
        Bundle b;
        if (!a.isEmpty() && a.chars().allMatch(Character::isDigit)) {
            b = a.length() > 18 ? null : ctx.getBundle(Long.parseLong(a));
            if (b == null) {
                throw new IommuException(Errno.ENOENT, "argument BUNDLE: no bundle has the id " + a + " (see lb)");
            }
        } else {
            List<Bundle> named = new ArrayList<>();
            for (Bundle c : ctx.getBundles()) {
                if (a.equals(c.getSymbolicName())) {
                    named.add(c);
                }
            }
            if (named.isEmpty()) {
                throw new IommuException(Errno.ENOENT, "argument BUNDLE: no bundle is named '" + a
                        + "' (give an id or a Bundle-SymbolicName, see lb -s)");
            }
            if (named.size() > 1) {
                StringBuilder ids = new StringBuilder();
                for (Bundle c : named) {
                    ids.append(ids.length() == 0 ? "" : ", ").append(c.getBundleId()).append(" (").append(c.getVersion())
                            .append(')');
                }
                throw new IommuException(Errno.EINVAL, "argument BUNDLE: '" + a + "' names " + named.size()
                        + " bundles: " + ids + "; give the id");
            }
            b = named.get(0);
        }
        if (b.getBundleId() == 0) {
            throw new IommuException(Errno.EINVAL, "argument BUNDLE: " + a + " is the framework itself (update 0 restarts it)");
        }
        return b;
    }

    /**
     * @param arg a path, or a {@code file:} URL
     * @return the jar it names, checked to be a bundle of the same symbolic name as {@code target}
     * @throws IommuException ENOENT when there is no such file, EINVAL when it is not a bundle or another one
     */
    static Path jarFor(String arg, Bundle target) {
        Path file = path(arg);
        String bsn = symbolicName(file);
        if (!bsn.equals(target.getSymbolicName())) {
            throw new IommuException(Errno.EINVAL, "argument FILE: " + file + " is the bundle " + bsn + ", not "
                    + target.getSymbolicName() + " (bundle " + target.getBundleId() + ")");
        }
        return file;
    }

    private static Path path(String arg) {
        String a = arg.trim();
        try {
            return a.startsWith("file:") ? Path.of(URI.create(a)) : Path.of(a);
        } catch (IllegalArgumentException e) { // InvalidPathException too
            throw new IommuException(Errno.EINVAL, "argument FILE: '" + arg + "' is not a path: " + e.getMessage());
        }
    }

    /**
     * @return the Bundle-SymbolicName in the jar's manifest (without its directives)
     * @throws IommuException ENOENT when there is no such file, EINVAL when it is not a bundle jar
     */
    static String symbolicName(Path file) {
        if (!Files.exists(file)) {
            throw new IommuException(Errno.ENOENT, "argument FILE: " + file + ": no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new IommuException(Errno.EINVAL, "argument FILE: " + file + " is not a file; expected a bundle jar");
        }
        if (!Files.isReadable(file)) {
            throw new IommuException(Errno.EINVAL, "argument FILE: " + file + " cannot be read (permission denied)");
        }
        Manifest mf;
        try (JarFile jar = new JarFile(file.toFile())) {
            mf = jar.getManifest();
        } catch (IOException | SecurityException e) {
            throw new IommuException(Errno.EINVAL, "argument FILE: " + file + " is not a jar (" + e.getMessage() + ")");
        }
        if (mf == null) {
            throw new IommuException(Errno.EINVAL, "argument FILE: " + file + " is not a bundle: it has no META-INF/MANIFEST.MF");
        }
        String bsn = mf.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
        int semi = bsn == null ? -1 : bsn.indexOf(';');
        String name = bsn == null ? "" : (semi >= 0 ? bsn.substring(0, semi) : bsn).trim();
        if (name.isEmpty()) {
            throw new IommuException(Errno.EINVAL, "argument FILE: " + file + " is not a bundle: its manifest has no "
                    + Constants.BUNDLE_SYMBOLICNAME);
        }
        return name;
    }
}
