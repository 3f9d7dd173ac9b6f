package io.iommulab.machine.mmio;

import io.iommulab.api.dt.DtNode;
import io.iommulab.api.dt.RegRange;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.MmioWindow;
import io.iommulab.machine.power.PowerGate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The MMIO bus: register blocks of hardware models at the physical ranges of their nodes'
 * {@code reg} entries. Mapping and unmapping are rare (model creation and removal) and locked;
 * accesses go window → slot → block without touching the bus.
 */
public final class MmioBus {
    private final TreeMap<Long, MmioBlock> byBase = new TreeMap<>();
    private final Map<String, MmioSlot> slots = new ConcurrentHashMap<>();
    private final boolean counting;

    /** A bus whose windows do not count accesses. */
    public MmioBus() {
        this(false);
    }

    /** @param counting true: every window counts its reads and writes (see {@link #accesses}) */
    public MmioBus(boolean counting) {
        this.counting = counting;
    }

    static String key(DtNode node, int index) {
        return index == 0 ? node.path() : node.path() + "[" + index + "]";
    }

    private MmioSlot slot(DtNode node, int index) {
        return slots.computeIfAbsent(key(node, index), MmioSlot::new);
    }

    /**
     * Maps a register file at {@code range}.
     *
     * @throws IommuException EINVAL if the file is larger than the range, EBUSY if the range
     *         overlaps a mapped block (naming it)
     */
    public synchronized MmioBlock map(DtNode node, int index, RegRange range, RegisterFileImpl regs, PowerGate gate) {
        if (range.size() != 0 && regs.size() > range.size()) {
            throw new IommuException(Errno.EINVAL, String.format("%s: register file of 0x%x bytes does not fit reg[%d] 0x%x+0x%x",
                    node.path(), regs.size(), index, range.address(), range.size()));
        }
        long base = range.address();
        long end = base + regs.size();
        Map.Entry<Long, MmioBlock> below = byBase.floorEntry(end - 1);
        if (below != null && below.getValue().end() > base) {
            MmioBlock other = below.getValue();
            throw new IommuException(Errno.EBUSY, String.format("%s: reg[%d] 0x%x+0x%x overlaps the block of %s at 0x%x+0x%x",
                    node.path(), index, base, regs.size(), other.node().path(), other.base(), other.size()));
        }
        MmioBlock block = new MmioBlock(node, index, base, regs, gate);
        byBase.put(base, block);
        slot(node, index).block(block);
        return block;
    }

    /** Removes a block from the bus; windows onto it then fail with EIO until a block is mapped again. */
    public synchronized void unmap(MmioBlock block) {
        if (byBase.get(block.base()) == block) {
            byBase.remove(block.base());
            MmioSlot s = slots.get(key(block.node(), block.index()));
            if (s != null && s.block() == block) {
                s.block(null);
            }
        }
    }

    /**
     * ioremap: a software window onto {@code range} (reg entry {@code index} of {@code node}).
     *
     * @throws IommuException ENODEV naming the node when nothing is mapped there
     */
    public MmioWindow ioremap(DtNode node, int index, RegRange range) {
        MmioSlot s = slots.get(key(node, index));
        if (s == null || s.block() == null) {
            throw new IommuException(Errno.ENODEV, String.format("%s: nothing is mapped at reg[%d] 0x%x+0x%x (no hardware model)",
                    node.path(), index, range.address(), range.size()));
        }
        MmioBlock b = s.block();
        long size = range.size() != 0 ? Math.min(range.size(), b.end() - range.address()) : b.size();
        return counting ? new MmioWindowImpl.Counting(s, range.address(), size) : new MmioWindowImpl(s, range.address(), size);
    }

    /** @return true if windows count their accesses */
    public boolean counting() {
        return counting;
    }

    /**
     * @return {reads, writes} software made through windows onto every reg entry of the node at
     *         {@code path} (zeros when the bus does not count)
     */
    public long[] accesses(String path) {
        long r = 0;
        long w = 0;
        for (MmioSlot s : slots.values()) {
            String k = s.key();
            if (k.equals(path) || k.startsWith(path + "[")) {
                r += s.reads();
                w += s.writes();
            }
        }
        return new long[] {r, w};
    }

    /** @return the block mapped at reg entry {@code index} of a node, or null */
    public MmioBlock block(DtNode node, int index) {
        MmioSlot s = slots.get(key(node, index));
        return s == null ? null : s.block();
    }

    /** @return the block containing physical address {@code pa}, or null */
    public synchronized MmioBlock blockAt(long pa) {
        Map.Entry<Long, MmioBlock> e = byBase.floorEntry(pa);
        return e != null && e.getValue().end() > pa ? e.getValue() : null;
    }

    /** @return mapped blocks by address */
    public synchronized List<MmioBlock> blocks() {
        return new ArrayList<>(byBase.values());
    }
}
