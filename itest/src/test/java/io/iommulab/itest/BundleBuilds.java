package io.iommulab.itest;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.osgi.framework.Constants;
import org.osgi.framework.Version;

/**
 * Other builds of a reactor bundle, made at test time from its jar, for live updates that really
 * change the code: Felix loads each into a new revision with its own class loader, and the version
 * tells which one drives an IOMMU ({@code iommu:iommus} origin, {@code LiveUpdateDTO.to}).
 */
final class BundleBuilds {

    /** {@code -Diommulab.itest.releases=<dir>}: the previous release's bundle jars (baseline/repo), filled by Maven */
    static final String RELEASES_PROPERTY = "iommulab.itest.releases";
    /** Resource every derived build carries, naming its qualifier. */
    static final String MARKER = "META-INF/iommulab-build.txt";

    private BundleBuilds() {
    }

    /**
     * Build B of a reactor bundle: the same classes under another Bundle-Version qualifier
     * (0.2.0.SNAPSHOT → 0.2.0.{@code qualifier}) with a {@link #MARKER} resource, as a developer's
     * rebuild would be.
     *
     * @return the jar, in {@code target/live-update}
     */
    static File rebuilt(String artifactId, String qualifier) throws IOException {
        return derive(artifactId, qualifier, null);
    }

    /**
     * A build of a reactor bundle with its class files passed through {@code classes} (name → bytes
     * → new bytes, or the same bytes), under the qualifier {@code qualifier}.
     */
    static File derive(String artifactId, String qualifier, ClassRewriter classes) throws IOException {
        File from = Container.jar(artifactId);
        File dir = new File("target/live-update");
        if (!dir.isDirectory() && !dir.mkdirs()) {
            throw new IOException("cannot create " + dir.getAbsolutePath());
        }
        File to = new File(dir, artifactId + "-" + qualifier + ".jar");
        try (JarInputStream in = new JarInputStream(new FileInputStream(from))) {
            Manifest mf = in.getManifest();
            if (mf == null) {
                throw new IOException(from + " has no manifest");
            }
            Attributes main = mf.getMainAttributes();
            main.putValue(Constants.BUNDLE_VERSION, withQualifier(main.getValue(Constants.BUNDLE_VERSION), qualifier, from));
            try (OutputStream fos = new FileOutputStream(to); JarOutputStream out = new JarOutputStream(fos, mf)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    out.putNextEntry(new JarEntry(e.getName()));
                    byte[] bytes = in.readAllBytes();
                    if (classes != null && e.getName().endsWith(".class")) {
                        bytes = classes.rewrite(e.getName(), bytes);
                    }
                    out.write(bytes);
                    out.closeEntry();
                }
                out.putNextEntry(new JarEntry(MARKER));
                out.write((artifactId + " build " + qualifier + "\n").getBytes(StandardCharsets.US_ASCII));
                out.closeEntry();
            }
        }
        return to;
    }

    /** Rewrites one class file of a derived build. */
    @FunctionalInterface
    interface ClassRewriter {
        /** @return the class file to put in the build ({@code bytes} when it stays as it is) */
        byte[] rewrite(String entry, byte[] bytes) throws IOException;
    }

    private static String withQualifier(String version, String qualifier, File jar) throws IOException {
        if (version == null) {
            throw new IOException(jar + " has no " + Constants.BUNDLE_VERSION);
        }
        Version v = Version.parseVersion(version);
        return new Version(v.getMajor(), v.getMinor(), v.getMicro(), qualifier).toString();
    }

    /** @return the jar of {@code artifactId} in the previous release (e.g. dart-0.1.0.jar) */
    static File release(String artifactId) {
        String dir = System.getProperty(RELEASES_PROPERTY);
        if (dir == null) {
            throw new IllegalStateException("system property " + RELEASES_PROPERTY + " is not set (run through Maven)");
        }
        File[] jars = new File(dir).listFiles((d, n) -> n.startsWith(artifactId + "-") && n.endsWith(".jar")
                && Character.isDigit(n.charAt(artifactId.length() + 1)));
        if (jars == null || jars.length != 1) {
            throw new IllegalStateException("expected one release jar of " + artifactId + " in " + dir);
        }
        return jars[0];
    }

    /** @return the Bundle-Version a jar declares */
    static Version version(File jar) throws IOException {
        try (InputStream in = new FileInputStream(jar); JarInputStream j = new JarInputStream(in)) {
            return Version.parseVersion(j.getManifest().getMainAttributes().getValue(Constants.BUNDLE_VERSION));
        }
    }
}
