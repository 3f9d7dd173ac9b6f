package io.iommulab.testiommu.fake;

import io.iommulab.api.hw.RegisterFile;
import io.iommulab.api.hw.RegisterHooks;
import io.iommulab.api.hw.RegisterSpec;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Test register file with the machine's semantics: software writes keep read-only bits, apply the
 * write-1-to-clear mask and then run the hook; no lock is held while hooks run.
 */
public final class FakeRegisterFile implements RegisterFile {

    private final List<RegisterSpec> specs;
    private final RegisterHooks hooks;
    private final AtomicIntegerArray values;
    private final int size;
    /** Spec of each 32-bit word, so that lookups on the model's hot path do not allocate. */
    private final RegisterSpec[] byWord;

    public FakeRegisterFile(List<RegisterSpec> specs, RegisterHooks hooks, int size) {
        this.specs = specs;
        this.hooks = hooks;
        this.size = size;
        this.values = new AtomicIntegerArray(size / 4);
        this.byWord = new RegisterSpec[size / 4];
        for (int off = 0; off < size; off += 4) {
            for (RegisterSpec s : specs) {
                if (s.covers(off)) {
                    byWord[off / 4] = s;
                }
            }
        }
        reset();
    }

    @Override
    public List<RegisterSpec> specs() {
        return specs;
    }

    @Override
    public RegisterSpec specAt(int offset) {
        return offset >= 0 && offset < size && (offset & 3) == 0 ? byWord[offset / 4] : null;
    }

    @Override
    public int get(int offset) {
        return specAt(offset) == null ? 0 : values.get(offset / 4);
    }

    @Override
    public void set(int offset, int value) {
        if (specAt(offset) != null) {
            values.set(offset / 4, value);
        }
    }

    @Override
    public void reset() {
        for (int off = 0; off < size; off += 4) {
            RegisterSpec s = specAt(off);
            values.set(off / 4, s == null ? 0 : s.reset());
        }
    }

    /** A software (bus) read. */
    public int mmioRead(int offset) {
        RegisterSpec s = specAt(offset);
        return s == null ? 0 : hooks.onRead(s, s.index(offset), values.get(offset / 4));
    }

    /** A software (bus) write. */
    public void mmioWrite(int offset, int value) {
        RegisterSpec s = specAt(offset);
        if (s == null) {
            return;
        }
        int old;
        int next;
        do {
            old = values.get(offset / 4);
            next = ((old & ~s.writable()) | (value & s.writable())) & ~(value & s.w1c());
        } while (!values.compareAndSet(offset / 4, old, next));
        hooks.onWrite(s, s.index(offset), old, next, value);
    }
}
