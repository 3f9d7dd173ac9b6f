package io.iommulab.fuzz;

import io.iommulab.api.error.DeviceTreeException;
import io.iommulab.api.error.IommuException;

/**
 * The rule every fuzz target checks: only the project's own exceptions ({@link IommuException},
 * {@link DeviceTreeException} among them), with a message that says what and where, may come out of
 * the code under test; any other throwable (NullPointerException, an index out of bounds, a
 * NumberFormatException, a StackOverflowError or OutOfMemoryError, an IllegalArgumentException from
 * the JDK...) propagates to Jazzer, which reports it as a crash with its input.
 */
final class Rule {

    private Rule() {
    }

    /** Code under test: may throw only project exceptions. */
    interface Action {
        void run() throws Exception;
    }

    /**
     * Runs {@code action}; a project exception passes when its message names {@code source} (for
     * inputs that have a name: a board, a workload), or is at least a message.
     *
     * @param source the input's name that a message must contain, or null where the input has none
     *               (a shell argument is named by its argument's own name)
     * @throws AssertionError for a project exception without such a message
     */
    static void onlyProjectErrors(String source, Action action) throws Exception {
        try {
            action.run();
        } catch (IommuException e) {
            check(source, e);
        }
    }

    static void check(String source, IommuException e) {
        String m = e.getMessage();
        if (m == null || m.isBlank() || m.startsWith("null") || source != null && !m.contains(source)) {
            throw new AssertionError("a project exception without a message naming " + (source != null ? source : "the input")
                    + ": " + m, e);
        }
        if (e instanceof DeviceTreeException d && d.where() == null && !m.contains("expected")) {
            throw new AssertionError("a device-tree error naming neither the place nor what was expected: " + m, e);
        }
    }
}
