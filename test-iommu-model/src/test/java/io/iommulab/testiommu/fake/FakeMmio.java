package io.iommulab.testiommu.fake;

import io.iommulab.api.machine.MmioWindow;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Software's window on a {@link FakeRegisterFile}; records every write as "offset=value". */
public final class FakeMmio implements MmioWindow {

    private final long base;
    private final FakeRegisterFile regs;
    public final List<long[]> writes = Collections.synchronizedList(new ArrayList<>());

    public FakeMmio(long base, FakeRegisterFile regs) {
        this.base = base;
        this.regs = regs;
    }

    @Override
    public long base() {
        return base;
    }

    @Override
    public long size() {
        return 0x1000;
    }

    @Override
    public int readl(long offset) {
        return regs.mmioRead((int) offset);
    }

    @Override
    public void writel(long offset, int value) {
        writes.add(new long[] {offset, value & 0xffff_ffffL});
        regs.mmioWrite((int) offset, value);
    }

    /** @return writes of {@code value} to {@code offset} since the last {@link #writes} clear */
    public long count(long offset, long value) {
        synchronized (writes) {
            return writes.stream().filter(w -> w[0] == offset && w[1] == (value & 0xffff_ffffL)).count();
        }
    }
}
