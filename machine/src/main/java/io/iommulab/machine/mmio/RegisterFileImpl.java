package io.iommulab.machine.mmio;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.RegisterFile;
import io.iommulab.api.hw.RegisterHooks;
import io.iommulab.api.hw.RegisterSpec;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.BitSet;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A block of 32-bit registers built from a model's {@link RegisterSpec} table.
 *
 * <p>Every 4-byte slot of the block has an entry in {@link #slotSpec} (index into the table, or
 * -1), so an access costs one array load. Software writes apply the masks as silicon does:
 * {@code new = (old & ~writable) | (value & writable)}, then write-1-to-clear bits set in
 * {@code value} are cleared; then {@link RegisterHooks#onWrite} runs. Undeclared offsets read as
 * zero and ignore writes (RAZ/WI) and are logged once per offset.
 *
 * <p>Locking: a software write is a read-modify-write under this object's monitor, and so is a
 * model-side {@link #set}, so neither loses the other's bits. Hooks run outside the monitor so
 * that a model's own lock order (model lock, then register file) cannot deadlock against a CPU
 * access. Reads are volatile loads without the lock.
 */
public final class RegisterFileImpl implements RegisterFile {
    private static final Logger LOG = LoggerFactory.getLogger(RegisterFileImpl.class);
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);

    private final String name;
    private final int size;
    private final List<RegisterSpec> specs;
    private final RegisterHooks hooks;
    private final int[] slotSpec;
    /** element index within its spec of each word slot (what the hooks get; no division per access) */
    private final int[] slotIndex;
    private final int[] values;
    private final RegisterSpec[] specArray;
    private final BitSet reported = new BitSet();

    /**
     * @param name  block name for messages (the node path, with the reg index when not 0)
     * @param size  block size in bytes (a multiple of 4)
     * @param specs the register table; elements must be 4-byte aligned, inside the block and disjoint
     * @param hooks the model's side effects (null for none)
     * @throws IommuException EINVAL naming the register that breaks these rules
     */
    public RegisterFileImpl(String name, long size, List<RegisterSpec> specs, RegisterHooks hooks) {
        if (size <= 0 || size > (1 << 24) || (size & 3) != 0) {
            throw new IommuException(Errno.EINVAL, String.format("%s: register block size 0x%x is not a multiple of 4 up to 16 MiB", name, size));
        }
        this.name = name;
        this.size = (int) size;
        this.specs = List.copyOf(specs);
        this.hooks = hooks != null ? hooks : new RegisterHooks() { };
        this.specArray = this.specs.toArray(new RegisterSpec[0]);
        this.slotSpec = new int[this.size >> 2];
        this.slotIndex = new int[this.size >> 2];
        this.values = new int[this.size >> 2];
        java.util.Arrays.fill(slotSpec, -1);
        for (int s = 0; s < specArray.length; s++) {
            index(s, specArray[s]);
        }
        reset();
    }

    private void index(int s, RegisterSpec spec) {
        if (spec.count() < 1 || (spec.count() > 1 && (spec.stride() < 4 || (spec.stride() & 3) != 0))) {
            throw new IommuException(Errno.EINVAL, String.format("%s: register %s has count %d and stride %d",
                    name, spec.name(), spec.count(), spec.stride()));
        }
        for (int i = 0; i < spec.count(); i++) {
            long off = spec.offset() + (long) i * spec.stride();
            if ((off & 3) != 0 || off < 0 || off + 4 > size) {
                throw new IommuException(Errno.EINVAL, String.format("%s: register %s[%d] at offset 0x%x is not an aligned word inside the 0x%x-byte block",
                        name, spec.name(), i, off, size));
            }
            int slot = (int) (off >> 2);
            if (slotSpec[slot] >= 0) {
                throw new IommuException(Errno.EINVAL, String.format("%s: register %s overlaps %s at offset 0x%x",
                        name, spec.nameAt((int) off), specArray[slotSpec[slot]].nameAt((int) off), off));
            }
            slotSpec[slot] = s;
            slotIndex[slot] = i;
        }
    }

    /** @return the block name used in messages */
    public String name() {
        return name;
    }

    /** @return the block size in bytes */
    public int size() {
        return size;
    }

    @Override
    public List<RegisterSpec> specs() {
        return specs;
    }

    @Override
    public int get(int offset) {
        if (offset < 0 || offset >= size || (offset & 3) != 0) {
            return 0;
        }
        return (int) INTS.getVolatile(values, offset >> 2);
    }

    @Override
    public void set(int offset, int value) {
        int slot = checkOffset(offset, "model write");
        if (slotSpec[slot] < 0) {
            throw new IommuException(Errno.EINVAL, String.format("%s: model write to undeclared register offset 0x%x", name, offset));
        }
        INTS.setVolatile(values, slot, value);
    }

    @Override
    public synchronized void reset() {
        for (int slot = 0; slot < slotSpec.length; slot++) {
            int s = slotSpec[slot];
            INTS.setVolatile(values, slot, s < 0 ? 0 : specArray[s].reset());
        }
    }

    @Override
    public RegisterSpec specAt(int offset) {
        if (offset < 0 || offset >= size || (offset & 3) != 0) {
            return null;
        }
        int s = slotSpec[offset >> 2];
        return s < 0 ? null : specArray[s];
    }

    private int checkOffset(long offset, String what) {
        if (offset < 0 || offset >= size || (offset & 3) != 0) {
            throw new IommuException(Errno.EINVAL, String.format("%s: %s at offset 0x%x is not an aligned 32-bit register in the 0x%x-byte block",
                    name, what, offset, size));
        }
        return (int) (offset >> 2);
    }

    /** Software read (readl) at a byte offset; applies {@link RegisterHooks#onRead}. */
    public int readl(long offset) {
        int slot = checkOffset(offset, "register read");
        int s = slotSpec[slot];
        if (s < 0) {
            reportUnimplemented("read", offset, 0);
            return 0;
        }
        RegisterSpec spec = specArray[s];
        return hooks.onRead(spec, slotIndex[slot], (int) INTS.getVolatile(values, slot));
    }

    /** Software write (writel) at a byte offset; applies the masks, then {@link RegisterHooks#onWrite}. */
    public void writel(long offset, int value) {
        int slot = checkOffset(offset, "register write");
        int s = slotSpec[slot];
        if (s < 0) {
            reportUnimplemented("write", offset, value);
            return;
        }
        RegisterSpec spec = specArray[s];
        int writable = spec.writable();
        int w1c = spec.w1c();
        int old;
        int now;
        // One atomic read-modify-write (racing writers and model-side set() never lose an update),
        // without a monitor: MMIO is on the path of every TLB invalidation.
        // A write that leaves the stored value as it is (a command register, the same bitmap again)
        // needs no store at all: it is ordered before any racing write that does change it.
        do {
            old = (int) INTS.getVolatile(values, slot);
            now = ((old & ~writable) | (value & writable)) & ~(value & w1c);
        } while (now != old && !INTS.compareAndSet(values, slot, old, now));
        hooks.onWrite(spec, slotIndex[slot], old, now, value);
    }

    private void reportUnimplemented(String what, long offset, int value) {
        boolean first;
        synchronized (reported) {
            first = !reported.get((int) (offset >> 2));
            reported.set((int) (offset >> 2));
        }
        if (first) {
            if ("write".equals(what)) {
                LOG.warn("{}: unimplemented register write at offset 0x{} (value 0x{})", name, Long.toHexString(offset), Integer.toHexString(value));
            } else {
                LOG.warn("{}: unimplemented register read at offset 0x{}", name, Long.toHexString(offset));
            }
        }
    }

    /** @return offsets reported as unimplemented so far (for tests and the shell) */
    public int unimplementedReported() {
        synchronized (reported) {
            return reported.cardinality();
        }
    }
}
