package io.iommulab.machine.master;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.Access;
import io.iommulab.api.hw.IommuModel;
import io.iommulab.api.hw.Translation;
import io.iommulab.api.machine.BusMonitor;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.api.machine.StreamRef;
import io.iommulab.machine.hosting.HostedIommu;
import io.iommulab.machine.power.PowerGate;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DMA master of the board. Each request is split at translation boundaries: the IOMMU model of
 * the stream translates one IOVA, the master moves up to {@code span} bytes to or from physical
 * memory, and repeats. The first fault ends the request with what was moved so far, as a DMA engine
 * stops at its first aborted transaction.
 *
 * <p>No per-chunk allocation besides the model's {@link Translation}; thread-safe (no state beyond
 * what is fixed at boot; the model is read once per chunk).
 */
public final class DmaMasterImpl implements DmaMaster {
    private static final Logger LOG = LoggerFactory.getLogger(DmaMasterImpl.class);
    private static final byte[] EMPTY = new byte[0];

    private final DtNode node;
    private final List<StreamRef> streams;
    private final HostedIommu[] iommus;
    private final int requesterId;
    private final PowerGate gate;
    private final PhysicalMemory memory;
    private final BusPort port;

    /**
     * @param node        the master's DT node
     * @param streams     its streams, in DT order
     * @param iommus      the hosted IOMMU of each stream (same order)
     * @param requesterId PCI RID, or -1
     * @param gate        the power condition of the master (PCI functions: their host bridge's)
     * @param memory      where data lands
     * @param port        the bus's debug port, told every transaction while a tool watches
     */
    public DmaMasterImpl(DtNode node, List<StreamRef> streams, List<HostedIommu> iommus, int requesterId,
                         PowerGate gate, PhysicalMemory memory, BusPort port) {
        if (streams.size() != iommus.size()) {
            throw new IllegalArgumentException(node.path() + ": " + streams.size() + " streams but " + iommus.size() + " IOMMUs");
        }
        this.node = node;
        this.streams = List.copyOf(streams);
        this.iommus = iommus.toArray(new HostedIommu[0]);
        this.requesterId = requesterId;
        this.gate = gate;
        this.memory = memory;
        this.port = port;
    }

    @Override
    public String name() {
        return node.path();
    }

    @Override
    public DtNode node() {
        return node;
    }

    @Override
    public List<StreamRef> streams() {
        return streams;
    }

    @Override
    public int requesterId() {
        return requesterId;
    }

    /** @return true if the master's power domains are on */
    public boolean isPowered() {
        return gate.isPowered();
    }

    @Override
    public DmaResult read(int stream, long iova, int len) {
        check(stream, len, "read");
        return transfer(stream, iova, new byte[len], len, Access.READ);
    }

    @Override
    public DmaResult write(int stream, long iova, byte[] data) {
        check(stream, data.length, "write");
        return transfer(stream, iova, data, data.length, Access.WRITE);
    }

    private void check(int stream, int len, String what) {
        if (stream < 0 || stream >= streams.size()) {
            throw new IommuException(Errno.EINVAL, String.format("master %s: DMA %s on stream %d, but it has %d stream(s)",
                    node.path(), what, stream, streams.size()));
        }
        if (len <= 0) {
            throw new IommuException(Errno.EINVAL, String.format("master %s: DMA %s of %d bytes (must be positive)", node.path(), what, len));
        }
    }

    private DmaResult transfer(int stream, long iova, byte[] buf, int len, Access access) {
        int sid = streams.get(stream).sid();
        HostedIommu iommu = iommus[stream];
        if (!gate.isPowered()) {
            return fault(access, buf, 0, "master " + node.path() + " is powered off", iommu.path(), sid, iova);
        }
        BusMonitor monitor = port.monitor();
        int done = 0;
        while (done < len) {
            long a = iova + done;
            IommuModel model = iommu.model();
            if (model == null) {
                return fault(access, buf, done, "no hardware model for " + iommu.path(), iommu.path(), sid, a);
            }
            Translation t;
            try {
                t = model.translate(sid, a, access);
            } catch (RuntimeException e) {
                // A broken model must not take down the thread doing DMA; the request aborts.
                LOG.error("master {}: model of {} threw translating sid {} iova 0x{}", node.path(), iommu.path(), sid, Long.toHexString(a), e);
                return fault(access, buf, done, "model error: " + e, iommu.path(), sid, a);
            }
            if (t == null || !t.ok()) {
                String why = t == null ? "model returned no translation" : t.fault();
                if (monitor != null) {
                    tell(monitor, stream, a, len - done, access, 0, why);
                }
                return fault(access, buf, done, why, iommu.path(), sid, a);
            }
            if (t.span() <= 0) {
                return fault(access, buf, done, "model translated iova 0x" + Long.toHexString(a) + " with an empty span", iommu.path(), sid, a);
            }
            int n = (int) Math.min(t.span(), len - done);
            if (monitor != null) {
                tell(monitor, stream, a, n, access, t.paddr(), null);
            }
            try {
                if (access == Access.READ) {
                    memory.read(t.paddr(), buf, done, n);
                } else {
                    memory.write(t.paddr(), buf, done, n);
                }
            } catch (IommuException e) {
                return fault(access, buf, done, String.format("bus error at PA 0x%x", t.paddr()), iommu.path(), sid, a);
            }
            done += n;
        }
        return new DmaResult(true, len, access == Access.READ ? buf : EMPTY, null, null, -1, 0);
    }

    private void tell(BusMonitor monitor, int stream, long iova, int n, Access access, long pa, String fault) {
        try {
            monitor.transaction(this, stream, iova, n, access, pa, fault);
        } catch (RuntimeException e) {
            // a tool's bug must not stop the DMA it watches
            LOG.error("master {}: bus monitor failed: {}", node.path(), e.toString());
        }
    }

    private static DmaResult fault(Access access, byte[] buf, int done, String text, String iommu, int sid, long iova) {
        byte[] data = access == Access.READ ? Arrays.copyOf(buf, done) : EMPTY;
        return new DmaResult(false, done, data, text, iommu, sid, iova);
    }

    @Override
    public String toString() {
        return node.path();
    }
}
