package io.iommulab.testiommu.fake;

import io.iommulab.machine.inject.FailNthCountdown;
import io.iommulab.testiommu.model.TestIommuModel;
import java.util.Map;

/**
 * A minimal machine for tests: 1 GiB of RAM at 0x8_0000_0000 (tables come from its upper half),
 * one shared interrupt line, and any number of test-iommu models with their software views.
 */
public final class Rig {

    public static final long RAM = 0x8_0000_0000L;
    public static final long RAM_SIZE = 0x4000_0000L;
    /** Where the page allocator's pages start. */
    public static final long POOL = RAM + 0x2000_0000L;

    public final FakeMemory memory = new FakeMemory(RAM, RAM_SIZE);
    public final FakePageAllocator pages = new FakePageAllocator(memory, POOL, 0x1000_0000L);
    public final FakeIrqLine line = new FakeIrqLine(10);
    /** The sanitizer's check every instance is given: off until a test enables it. */
    public final RecordingCheck check = new RecordingCheck();
    /** The machine's fail-nth countdown every instance's injection points ask. */
    public final FailNthCountdown failNth = new FailNthCountdown();

    /**
     * One instance: its model, the register file behind it, software's MMIO window and the
     * platform device a driver probes.
     */
    public record Hw(String path, TestIommuModel model, FakeRegisterFile regs, FakeMmio mmio, FakePlatformDevice pdev) {
    }

    public Hw add(String path, Map<String, String> options) {
        FakeModelContext ctx = new FakeModelContext(path, memory, line, options, check);
        ctx.failNth = failNth;
        TestIommuModel model = new TestIommuModel(ctx);
        FakeMmio mmio = new FakeMmio(0x1_0000_0000L, ctx.regs);
        return new Hw(path, model, ctx.regs, mmio, new FakePlatformDevice(path, mmio, line, pages, memory));
    }

    public Hw add(String path) {
        return add(path, Map.of());
    }
}
