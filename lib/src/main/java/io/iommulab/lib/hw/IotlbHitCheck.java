package io.iommulab.lib.hw;

import io.iommulab.api.Prot;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.TranslationCheck;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.api.machine.RamWindow;
import io.iommulab.api.machine.StaleTranslation;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.function.BooleanSupplier;

/**
 * The part of a model's check of its IOTLB hits ({@link TranslationCheck}) that does not depend on
 * the architecture. A model makes one per instance and keeps the rest to itself: what an IOTLB
 * entry remembers of its walk, which registers to compare, how to walk afresh, what changed and
 * which invalidation was due. The check of one hit goes:
 * <ol>
 * <li>cheap part (the model's registers, then {@link #unchanged(RamWindow, long, long)}: one read
 *     of the leaf entry the hit was filled from, through a window on it taken when the entry was
 *     filled, {@link #leaf});</li>
 * <li>only if that differs, a fresh walk by the model (not counted, no fill, no fault latched, no
 *     interrupt), then {@link #same}: a fresh walk that gives the page and permissions the hit
 *     served is no finding (a new table base pointing at a copy of the tables, say);</li>
 * <li>otherwise {@link #report}, with the cause ({@link #leafChange} for a leaf that still exists)
 *     and the invalidation due.</li>
 * </ol>
 * Permissions are {@link Prot} bits as a device sees them: READ, WRITE, and NOEXEC where the
 * architecture has it.
 */
public final class IotlbHitCheck {

    private static final VarHandle LE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final String iommu;
    private final TranslationCheck check;
    private final PhysicalMemory memory;

    /**
     * @param iommu  DT path of the model's node (named in every report)
     * @param check  {@link ModelContext#translationCheck()}
     * @param memory {@link ModelContext#memory()}, where the tables are
     */
    public IotlbHitCheck(String iommu, TranslationCheck check, PhysicalMemory memory) {
        this.iommu = iommu;
        this.check = check;
        this.memory = memory;
    }

    /**
     * For an IOTLB fill: a direct window on the 8-byte leaf entry at {@code pa}, which the entry
     * keeps for the checks of its hits. Taken only while the check is enabled (otherwise this costs
     * the one read of the switch), because the cheap part of a check then reads one array element
     * where a read through {@link PhysicalMemory} decodes the address first: a check costs less, and
     * the model's hit path stays small enough for the JIT to inline.
     *
     * @return the window, or null: the check is off, or the memory has no window there (a hit is
     *         then checked through {@link PhysicalMemory#read64})
     */
    public RamWindow leaf(long pa) {
        if (!check.enabled()) {
            return null;
        }
        try {
            return memory.window(pa, Long.BYTES);
        } catch (IommuException noWindow) {
            return null;
        }
    }

    /**
     * @param leaf  {@link #leaf}'s window on the entry, or null
     * @param pa    the entry's physical address (read when there is no window)
     * @param value the value the IOTLB entry was filled from
     * @return true if the 64-bit entry still holds {@code value}; an entry that no longer reads (a
     *         bus error) has changed
     */
    public boolean unchanged(RamWindow leaf, long pa, long value) {
        return leaf != null ? (long) LE64.get(leaf.data(), leaf.offset()) == value : unchanged(pa, value);
    }

    /**
     * @return true if the 64-bit entry at {@code pa} still holds {@code value}, read through
     *         {@link PhysicalMemory}; an entry that no longer reads (a bus error) has changed
     */
    public boolean unchanged(long pa, long value) {
        try {
            return memory.read64(pa) == value;
        } catch (IommuException busError) {
            return false;
        }
    }

    /**
     * @param currentFault the fresh walk's fault, or null when it found a leaf
     * @return true if the fresh walk gives what the hit served: no fault, the same address and the
     *         same permissions
     */
    public static boolean same(long cachedPa, int cachedPerms, long currentPa, int currentPerms, String currentFault) {
        return currentFault == null && currentPa == cachedPa && currentPerms == cachedPerms;
    }

    /**
     * The cause for a leaf that a fresh walk still finds, in the same place, but that gives another
     * answer.
     *
     * @return "permissions reduced" when the address is the same and the leaf grants nothing the
     *         cached one did not (gaining NOEXEC takes a right away), else "PTE changed"
     */
    public static String leafChange(long cachedPa, int cachedPerms, long currentPa, int currentPerms) {
        return currentPa == cachedPa && (rights(currentPerms) & ~rights(cachedPerms)) == 0 ? "permissions reduced"
                : "PTE changed";
    }

    /** @return READ, WRITE and, unless NOEXEC, a bit for instruction fetches: what a device may do */
    private static int rights(int prot) {
        return (prot & (Prot.READ | Prot.WRITE)) | ((prot & Prot.NOEXEC) == 0 ? Prot.NOEXEC : 0);
    }

    /** Reports a stale hit of stream {@code sid} (see {@link StaleTranslation} for the fields). */
    public void report(int sid, long iova, Access access, long cachedPa, int cachedPerms, long currentPa, int currentPerms,
            String currentFault, String cause, String due) {
        check.stale(new StaleTranslation(iommu, sid, iova, access, cachedPa, cachedPerms, currentPa, currentPerms,
                currentFault, cause, due));
    }

    /**
     * Reports a stale hit of stream {@code sid}, with {@code stillCached}: whether the IOTLB still
     * holds the entry that served it (false once an invalidation covering it came after the hit;
     * see {@link io.iommulab.api.machine.BusMonitor#staleTranslation(StaleTranslation, BooleanSupplier)}).
     */
    public void report(int sid, long iova, Access access, long cachedPa, int cachedPerms, long currentPa, int currentPerms,
            String currentFault, String cause, String due, BooleanSupplier stillCached) {
        check.stale(new StaleTranslation(iommu, sid, iova, access, cachedPa, cachedPerms, currentPa, currentPerms,
                currentFault, cause, due), stillCached);
    }
}
