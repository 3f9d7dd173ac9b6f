package io.iommulab.launcher;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.osgi.framework.ServiceReference;

/**
 * A Gogo {@code CommandSession} driven by reflection: the Gogo API lives in the gogo.runtime
 * bundle, not on the launcher's class path, so the launcher cannot link against it.
 */
final class GogoSession implements AutoCloseable {

    static final String PROCESSOR = "org.apache.felix.service.command.CommandProcessor";
    private static final String SESSION = "org.apache.felix.service.command.CommandSession";
    /** Converter.INSPECT: the detailed form the interactive shell prints for a result. */
    static final int INSPECT = 0;
    /** Converter.PART: the one-line form a result takes inside a list. */
    static final int PART = 2;

    private final Object session;
    private final Method execute;
    private final Method format;
    private final Method put;
    private final Method get;
    private final Method close;

    private GogoSession(Object session, Class<?> sessionType) throws NoSuchMethodException {
        this.session = session;
        this.execute = sessionType.getMethod("execute", CharSequence.class);
        this.format = sessionType.getMethod("format", Object.class, int.class);
        this.put = sessionType.getMethod("put", String.class, Object.class);
        this.get = sessionType.getMethod("get", String.class);
        this.close = sessionType.getMethod("close");
    }

    /**
     * Opens a session on the CommandProcessor service {@code ref} points to.
     *
     * @param processor the service object of {@code ref}
     */
    static GogoSession open(ServiceReference<?> ref, Object processor, InputStream in, OutputStream out,
            OutputStream err) throws Exception {
        // The interfaces come from the bundle that registered the service, the only loader that has them.
        Class<?> processorType = ref.getBundle().loadClass(PROCESSOR);
        Class<?> sessionType = ref.getBundle().loadClass(SESSION);
        Method create = processorType.getMethod("createSession", InputStream.class, OutputStream.class, OutputStream.class);
        return new GogoSession(invoke(create, processor, in, out, err), sessionType);
    }

    /** For tests: a session made without a framework, the Gogo API on the class path. */
    static GogoSession over(Object session) throws Exception {
        return new GogoSession(session, session.getClass().getClassLoader().loadClass(SESSION));
    }

    /** Runs one command line; a failing command throws what the command threw. */
    Object execute(String command) throws Exception {
        return invoke(execute, session, command);
    }

    /** @return the result as the interactive shell prints it */
    String format(Object result) throws Exception {
        return format(result, INSPECT);
    }

    /** @return the result in the form {@code level} ({@link #INSPECT}, {@link #PART}) */
    String format(Object result, int level) throws Exception {
        Object s = invoke(format, session, result, level);
        return s == null ? "" : s.toString();
    }

    /** Sets a session variable (read in commands as {@code $name}). */
    void put(String name, Object value) throws Exception {
        invoke(put, session, name, value);
    }

    /** @return the session variable {@code name}, or null */
    Object get(String name) throws Exception {
        return invoke(get, session, name);
    }

    @Override
    public void close() {
        try {
            invoke(close, session);
        } catch (Exception e) {
            // The runtime is stopping with the framework; its sessions go with it.
        }
    }

    /** Calls {@code m}; a failure throws what the method threw. */
    static Object invoke(Method m, Object target, Object... args) throws Exception {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }
}
