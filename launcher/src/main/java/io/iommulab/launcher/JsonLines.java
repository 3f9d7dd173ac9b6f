package io.iommulab.launcher;

import java.lang.reflect.Method;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Writes command results as JSON lines ({@code --json}) by the project's JSON rules, which live in
 * the framework with the results' classes: {@code io.iommulab.json.Json.line} of the json bundle,
 * with Jackson beside it as bundles. Called by reflection, as the Gogo session is, and looked up when
 * the first line is written: a run without {@code --json} never loads it or Jackson.
 */
final class JsonLines {

    static final String BUNDLE = "io.iommulab.json";
    static final String JSON = "io.iommulab.json.Json";

    private final BundleContext context;
    private Method line;

    JsonLines(BundleContext context) {
        this.context = context;
    }

    /** @return {@code result} as one line of JSON; a result that cannot be written throws, naming why */
    String line(Object result) throws Exception {
        if (line == null) {
            line = writer(find());
        }
        return (String) GogoSession.invoke(line, null, result);
    }

    private static Method writer(Bundle b) {
        try {
            return b.loadClass(JSON).getMethod("line", Object.class);
        } catch (ReflectiveOperationException | LinkageError e) {
            // e.g. Jackson uninstalled and the bundles refreshed: the json bundle no longer resolves
            throw new IllegalStateException("--json: the bundle " + BUNDLE + " cannot load " + JSON + " (is Jackson"
                    + " installed?): " + e, e);
        }
    }

    private Bundle find() {
        for (Bundle b : context.getBundles()) {
            if (BUNDLE.equals(b.getSymbolicName()) && b.getState() != Bundle.UNINSTALLED) {
                return b;
            }
        }
        throw new IllegalStateException("--json: the bundle " + BUNDLE + " is not installed");
    }
}
