package io.iommulab.launcher;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;

/**
 * Reads the components of the shell's result records by name. Their classes are loaded by bundles,
 * which the launcher cannot link against, so this works by reflection.
 */
final class Records {

    private Records() {
    }

    /**
     * @return the record component {@code name} of {@code record}
     * @throws IllegalArgumentException if {@code record} is not a record with that component
     */
    static Object component(Object record, String name) {
        if (record == null || !record.getClass().isRecord()) {
            throw new IllegalArgumentException("expected a record with component '" + name + "', found "
                    + (record == null ? "null" : record.getClass().getName()));
        }
        for (RecordComponent c : record.getClass().getRecordComponents()) {
            if (c.getName().equals(name)) {
                return component(record, c);
            }
        }
        throw new IllegalArgumentException("record " + record.getClass().getName() + " has no component '" + name + "'");
    }

    /** Reads one record component; records of non-exported bundle packages need the accessor opened. */
    private static Object component(Object record, RecordComponent c) {
        Method m = c.getAccessor();
        try {
            if (!m.canAccess(record)) {
                m.setAccessible(true);
            }
            return m.invoke(record);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read " + record.getClass().getName() + "." + c.getName(), e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("reading " + record.getClass().getName() + "." + c.getName()
                    + " failed: " + e.getCause(), e.getCause());
        }
    }
}
