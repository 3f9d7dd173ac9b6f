package io.iommulab.testiommu.fake;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.hw.IrqSource;
import io.iommulab.api.hw.ModelContext;
import io.iommulab.api.hw.ModelOptions;
import io.iommulab.api.hw.RegisterFile;
import io.iommulab.api.hw.RegisterHooks;
import io.iommulab.api.hw.RegisterSpec;
import io.iommulab.api.hw.TranslationCheck;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.machine.hosting.NodeModelOptions;
import io.iommulab.machine.inject.FailNthCountdown;
import java.util.List;
import java.util.Map;

/**
 * What a test machine gives one model: a node, memory, a register file, one interrupt line and the
 * sanitizer's translation check (off unless the test turns it on).
 */
public final class FakeModelContext implements ModelContext {

    private final FakeNode node;
    private final PhysicalMemory memory;
    private final FakeIrqLine irq;
    private final Map<String, String> options;
    private final TranslationCheck check;
    public FakeRegisterFile regs;
    /** the machine's fail-nth countdown, which the model's injection points ask (a rig shares one) */
    public FailNthCountdown failNth = new FailNthCountdown();

    public FakeModelContext(String path, PhysicalMemory memory, FakeIrqLine irq, Map<String, String> options) {
        this(path, memory, irq, options, new RecordingCheck());
    }

    /** @param check what the model asks whether a sanitizer watches, and reports stale hits to */
    public FakeModelContext(String path, PhysicalMemory memory, FakeIrqLine irq, Map<String, String> options,
            TranslationCheck check) {
        this.check = check;
        this.node = new FakeNode(path);
        this.memory = memory;
        this.irq = irq;
        this.options = options;
    }

    @Override
    public DtNode node() {
        return node;
    }

    @Override
    public PhysicalMemory memory() {
        return memory;
    }

    @Override
    public RegisterFile registers(int index, List<RegisterSpec> specs, RegisterHooks hooks) {
        regs = new FakeRegisterFile(specs, hooks, 0x1000);
        return regs;
    }

    @Override
    public IrqSource irq(int index) {
        return irq;
    }

    @Override
    public Map<String, String> options() {
        return options;
    }

    /** The machine's own option reader, so a refusal reads as it does on a board. */
    @Override
    public ModelOptions modelOptions() {
        return new NodeModelOptions(node.path(), "test-iommu", options);
    }

    @Override
    public TranslationCheck translationCheck() {
        return check;
    }

    @Override
    public boolean shouldFail(String point) {
        return failNth.shouldFail(point, node.path());
    }
}
