package io.iommulab.core.impl.update;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.FrameworkFactory;

/** A real Felix with its cache in a test folder, and bundle jars the tests write. */
final class Framework implements AutoCloseable {

    final org.osgi.framework.launch.Framework fw;
    final Path dir;

    Framework(Path dir) throws BundleException {
        this.dir = dir;
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst().orElseThrow();
        fw = factory.newFramework(Map.of(Constants.FRAMEWORK_STORAGE, dir.resolve("cache").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        fw.start();
    }

    BundleContext context() {
        return fw.getBundleContext();
    }

    /**
     * @param headers manifest headers besides the manifest and bundle manifest versions
     * @return a jar named {@code name} with that manifest and one resource
     */
    Path jar(String name, Map<String, String> headers) throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue(Constants.BUNDLE_MANIFESTVERSION, "2");
        headers.forEach(a::putValue);
        Path jar = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, mf)) {
            j.putNextEntry(new JarEntry("readme.txt"));
            j.write(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            j.closeEntry();
        }
        return jar;
    }

    /** A bundle {@code bsn} at {@code version} exporting {@code bsn}'s package (and importing it: substitutable). */
    Path exporter(String name, String bsn, String version) throws IOException {
        return jar(name, Map.of(Constants.BUNDLE_SYMBOLICNAME, bsn, Constants.BUNDLE_VERSION, version,
                Constants.EXPORT_PACKAGE, bsn + ".api;version=1.0", Constants.IMPORT_PACKAGE, bsn + ".api;version=\"[1,2)\""));
    }

    @Override
    public void close() throws Exception {
        fw.stop();
        fw.waitForStop(10_000);
    }
}
