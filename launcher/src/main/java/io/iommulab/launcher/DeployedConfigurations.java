package io.iommulab.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * The configuration files in the deploy folder when the launcher starts ({@code PID.cfg},
 * {@code PID.config}) take effect before the board boots: FileInstall reads them on its own thread
 * and Config Admin tells SCR on another, so the launcher waits, before {@code machine:boot}
 * activates the core, until each is in Config Admin and SCR holds it for every component
 * configured by its PID. Then the default domains made at the boot follow the file, as they follow
 * a framework property. A file that does not get there in time is named in one line and applies
 * when it arrives (it is then a run-time change).
 *
 * <p>By reflection: Config Admin's and SCR's APIs are the bundles', not on the launcher's class path.
 */
final class DeployedConfigurations {

    static final String CONFIG_ADMIN = "org.osgi.service.cm.ConfigurationAdmin";
    static final String SCR = "org.osgi.service.component.runtime.ServiceComponentRuntime";
    /** what FileInstall adds to a configuration it read from a file: the file's URI */
    static final String FILENAME = "felix.fileinstall.filename";
    private static final long POLL_MS = 5;

    private DeployedConfigurations() {
    }

    /** @return the configuration files in {@code deploy} (none if it does not exist), in name order */
    static List<Path> files(Path deploy) throws IOException {
        if (!Files.isDirectory(deploy)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(deploy)) {
            return s.filter(p -> Files.isRegularFile(p) && (p.toString().endsWith(".cfg") || p.toString().endsWith(".config")))
                    .sorted().toList();
        }
    }

    /**
     * @return the PID FileInstall gives the file: its name without the extension; null for a
     *         factory configuration ({@code PID-NAME.cfg}), which configures no singleton component
     */
    static String pid(Path file) {
        String name = file.getFileName().toString();
        String pid = name.substring(0, name.lastIndexOf('.'));
        return pid.indexOf('-') > 0 ? null : pid;
    }

    /** @return the key FileInstall stores a file under ({@code File.toURI}, as it does) */
    static String key(Path file) {
        return file.toFile().getAbsoluteFile().toURI().toString();
    }

    /**
     * Waits, at most {@code timeoutMs} in all, until every configuration file of {@code deploy} is in
     * Config Admin and held by SCR for its PID's components; says in one line on {@code err} which
     * one did not get there.
     */
    static void await(BundleContext ctx, Path deploy, long timeoutMs, PrintStream err) {
        List<Path> files;
        try {
            files = files(deploy);
        } catch (IOException e) {
            err.println("iommulab: cannot list the deploy folder " + deploy + ": " + e.getMessage());
            return;
        }
        if (files.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        try {
            Service cm = Service.of(ctx, CONFIG_ADMIN);
            Service scr = Service.of(ctx, SCR);
            if (cm == null || scr == null) {
                err.println("iommulab: no " + (cm == null ? "Config Admin" : "SCR") + ": the configuration files in " + deploy
                        + " are not applied");
                return;
            }
            for (Path f : files) {
                if (!until(deadline, () -> inConfigAdmin(cm, key(f)) && heldByScr(scr, pid(f), key(f)))) {
                    err.println("iommulab: " + f + ": not applied within " + timeoutMs / 1000 + " s of the start (see the "
                            + "log); the board boots without it, and it applies when it arrives");
                    return;
                }
            }
        } catch (ReflectiveOperationException | InvalidSyntaxException e) {
            err.println("iommulab: cannot tell whether the configuration files in " + deploy + " were applied: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @FunctionalInterface
    private interface Check {
        boolean holds() throws ReflectiveOperationException, InvalidSyntaxException;
    }

    private static boolean until(long deadline, Check c) throws ReflectiveOperationException, InvalidSyntaxException,
            InterruptedException {
        while (!c.holds()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(POLL_MS);
        }
        return true;
    }

    private static boolean inConfigAdmin(Service cm, String key) throws ReflectiveOperationException {
        Object found = cm.call("listConfigurations", new Class<?>[] {String.class}, "(" + FILENAME + "=" + escape(key) + ")");
        return found != null && Array.getLength(found) > 0;
    }

    /** Every component configured by {@code pid} holds the configuration from {@code key} (none: nothing to wait for). */
    private static boolean heldByScr(Service scr, String pid, String key) throws ReflectiveOperationException {
        if (pid == null) {
            return true;
        }
        Object descriptions = scr.call("getComponentDescriptionDTOs", new Class<?>[] {Bundle[].class}, (Object) new Bundle[0]);
        for (Object d : (Collection<?>) descriptions) {
            String[] pids = (String[]) d.getClass().getField("configurationPid").get(d);
            String policy = (String) d.getClass().getField("configurationPolicy").get(d);
            if (!List.of(pids).contains(pid) || "ignore".equals(policy)) {
                continue;
            }
            Method m = scr.method("getComponentConfigurationDTOs", d.getClass());
            Collection<?> configurations = (Collection<?>) Service.invoke(m, scr.object, d);
            boolean held = false;
            for (Object c : configurations) {
                Map<?, ?> props = (Map<?, ?>) c.getClass().getField("properties").get(c);
                held |= key.equals(props.get(FILENAME));
            }
            if (!held) {
                return false;
            }
        }
        return true;
    }

    /** An LDAP filter value: {@code ( ) * \} escaped. */
    static String escape(String v) {
        StringBuilder sb = new StringBuilder();
        for (char c : v.toCharArray()) {
            if (c == '(' || c == ')' || c == '*' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** A service object and its interface, as loaded by the bundle that registered it. */
    private record Service(Object object, Class<?> type) {
        static Service of(BundleContext ctx, String className) throws InvalidSyntaxException, ClassNotFoundException {
            ServiceReference<?>[] refs = ctx.getAllServiceReferences(className, null);
            if (refs == null || refs.length == 0) {
                return null;
            }
            Object o = ctx.getService(refs[0]);
            return o == null ? null : new Service(o, refs[0].getBundle().loadClass(className));
        }

        Method method(String name, Class<?> argType) throws NoSuchMethodException {
            for (Method m : type.getMethods()) {
                if (m.getName().equals(name) && m.getParameterCount() == 1 && m.getParameterTypes()[0].isAssignableFrom(argType)) {
                    return m;
                }
            }
            throw new NoSuchMethodException(type.getName() + "." + name + "(" + argType.getName() + ")");
        }

        Object call(String name, Class<?>[] types, Object... args) throws ReflectiveOperationException {
            return invoke(type.getMethod(name, types), object, args);
        }

        static Object invoke(Method m, Object target, Object... args) throws ReflectiveOperationException {
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw e;
            }
        }
    }
}
