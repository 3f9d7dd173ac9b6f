package io.iommulab.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * A new revision of a bundle's private code, without OSGi: the classes of the given packages are
 * defined again by this loader from the same bytes (everything else comes from the parent), so
 * they are new classes, not yet loaded, linked, initialised or compiled, as the classes of an
 * updated bundle are in Felix (each revision has its own class loader). A class the parent loaded
 * from those packages is a different class to the ones defined here.
 *
 * <p>Whole packages only: a class defined here and one of the parent in the same package are in
 * different runtime packages and cannot reach each other's package-private members.
 */
final class FreshCode extends ClassLoader {

    static {
        registerAsParallelCapable();
    }

    private final List<String> packages;

    /** @param packages the private packages of the bundle, with their subpackages ("io.iommulab.dart.impl") */
    FreshCode(ClassLoader parent, List<String> packages) {
        super("fresh " + packages, parent);
        this.packages = List.copyOf(packages);
    }

    private boolean fresh(String name) {
        for (String p : packages) {
            if (name.startsWith(p) && name.length() > p.length() && name.charAt(p.length()) == '.') {
                return true;
            }
        }
        return false;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!fresh(name)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                c = define(name);
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    private Class<?> define(String name) throws ClassNotFoundException {
        String resource = name.replace('.', '/') + ".class";
        try (InputStream in = getParent().getResourceAsStream(resource)) {
            if (in == null) {
                throw new ClassNotFoundException(name + ": no " + resource + " on the class path");
            }
            byte[] bytes = in.readAllBytes();
            return defineClass(name, bytes, 0, bytes.length);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + resource, e);
        }
    }

    /** @return the class {@code name} of this revision, not initialised */
    Class<?> type(String name) {
        try {
            return Class.forName(name, false, this);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** @return {@code name}'s public static method {@code method(params)} called with {@code args} */
    Object call(String name, String method, Class<?>[] params, Object... args) {
        try {
            return type(name).getMethod(method, params).invoke(null, args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(name + "." + method + ": " + e, e);
        }
    }

    /** @return a new {@code name} made by its public no-argument constructor */
    Object make(String name) {
        try {
            return type(name).getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("new " + name + ": " + e, e);
        }
    }
}
