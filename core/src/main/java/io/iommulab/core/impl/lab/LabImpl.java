package io.iommulab.core.impl.lab;

import io.iommulab.api.IommuService;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.lab.Lab;
import io.iommulab.api.machine.DetachedMachine;
import io.iommulab.core.impl.IommuCoreEngine;
import io.iommulab.core.impl.dma.DmaApiImpl;
import java.util.function.Consumer;

/** One open lab: its machine, its engine and the DMA API over it. */
final class LabImpl implements Lab {
    private final DetachedMachine machine;
    private final IommuCoreEngine engine;
    private final DmaApiImpl dma;
    private final Consumer<LabImpl> onClose;
    private boolean closed;

    /** @param fqTimeoutMs how long a flush queue holds IOVAs before its timer flushes it */
    LabImpl(DetachedMachine machine, IommuCoreEngine engine, long fqTimeoutMs, Consumer<LabImpl> onClose) {
        this.machine = machine;
        this.engine = engine;
        this.dma = new DmaApiImpl(engine, fqTimeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        this.onClose = onClose;
    }

    IommuCoreEngine engine() {
        return engine;
    }

    @Override
    public DetachedMachine machine() {
        return machine;
    }

    @Override
    public IommuService iommu() {
        return engine;
    }

    @Override
    public DmaApi dma() {
        return dma;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        onClose.accept(this);
        try {
            dma.close();
            engine.shutdown();
        } finally {
            machine.close();
        }
    }
}
