package io.iommulab.core.impl;

import io.iommulab.api.dto.TraceEventDTO;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The iommu trace events: a bounded lock-free ring of raw events (numbers and string references),
 * formatted in the shapes of include/trace/events/iommu.h only when read, so emitting costs one
 * small allocation and two atomic operations.
 */
public final class TraceRing {

    static final int MAP = 0;
    static final int UNMAP = 1;
    static final int ADD_DEVICE_TO_GROUP = 2;
    static final int REMOVE_DEVICE_FROM_GROUP = 3;
    static final int ATTACH_DEVICE_TO_DOMAIN = 4;
    static final int DETACH_DEVICE_FROM_DOMAIN = 5;
    static final int IO_PAGE_FAULT = 6;

    private static final String[] NAMES = {"map", "unmap", "add_device_to_group", "remove_device_from_group",
        "attach_device_to_domain", "detach_device_from_domain", "io_page_fault"};

    /** One recorded event; {@code seq} tells a reader whether the slot still holds what it expects. */
    private record Event(long seq, long timestampNs, int type, long a, long b, long c, String s1, String s2) {
    }

    private final AtomicReferenceArray<Event> slots;
    private final int mask;
    private final AtomicLong next = new AtomicLong();
    private final long startNs;
    private volatile boolean enabled;
    /** sequence number of the first event a reader may see (set by clear) */
    private volatile long firstVisible;

    public TraceRing(int capacity, long startNs, boolean enabled) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("trace ring capacity " + capacity + " is not a power of two");
        }
        this.slots = new AtomicReferenceArray<>(capacity);
        this.mask = capacity - 1;
        this.startNs = startNs;
        this.enabled = enabled;
    }

    public boolean enabled() {
        return enabled;
    }

    public void setEnabled(boolean on) {
        enabled = on;
    }

    private void emit(int type, long a, long b, long c, String s1, String s2) {
        long seq = next.getAndIncrement();
        slots.set((int) (seq & mask), new Event(seq, System.nanoTime() - startNs, type, a, b, c, s1, s2));
    }

    /** trace_map(iova, paddr, size) */
    public void map(long iova, long paddr, long size) {
        if (enabled) {
            emit(MAP, iova, paddr, size, null, null);
        }
    }

    /** trace_unmap(iova, size, unmapped_size) */
    public void unmap(long iova, long size, long unmapped) {
        if (enabled) {
            emit(UNMAP, iova, size, unmapped, null, null);
        }
    }

    public void addDeviceToGroup(int groupId, String dev) {
        if (enabled) {
            emit(ADD_DEVICE_TO_GROUP, groupId, 0, 0, dev, null);
        }
    }

    public void removeDeviceFromGroup(int groupId, String dev) {
        if (enabled) {
            emit(REMOVE_DEVICE_FROM_GROUP, groupId, 0, 0, dev, null);
        }
    }

    public void attachDeviceToDomain(String dev) {
        if (enabled) {
            emit(ATTACH_DEVICE_TO_DOMAIN, 0, 0, 0, dev, null);
        }
    }

    public void detachDeviceFromDomain(String dev) {
        if (enabled) {
            emit(DETACH_DEVICE_FROM_DOMAIN, 0, 0, 0, dev, null);
        }
    }

    /** trace_io_page_fault(dev, iova, flags): flags as IOMMU_FAULT_READ (0) / IOMMU_FAULT_WRITE (1) */
    public void ioPageFault(String driver, String dev, long iova, int flags) {
        if (enabled) {
            emit(IO_PAGE_FAULT, iova, flags, 0, driver, dev);
        }
    }

    /** Empties the ring for readers; writers are never blocked. */
    public void clear() {
        firstVisible = next.get();
    }

    /** @return the events still in the ring, oldest first, formatted */
    public List<TraceEventDTO> snapshot() {
        long end = next.get();
        long start = Math.max(firstVisible, end - slots.length());
        List<TraceEventDTO> out = new ArrayList<>((int) Math.max(0, end - start));
        for (long s = start; s < end; s++) {
            Event e = slots.get((int) (s & mask));
            // a slot not yet published, or already overwritten by a newer lap, is skipped
            if (e != null && e.seq() == s) {
                out.add(new TraceEventDTO(e.timestampNs(), NAMES[e.type()], format(e)));
            }
        }
        return out;
    }

    private static String format(Event e) {
        switch (e.type()) {
            case MAP:
                return String.format("IOMMU: iova=0x%016x - 0x%016x paddr=0x%016x size=%s",
                        e.a(), e.a() + e.c(), e.b(), Long.toUnsignedString(e.c()));
            case UNMAP:
                return String.format("IOMMU: iova=0x%016x - 0x%016x size=%s unmapped_size=%s",
                        e.a(), e.a() + e.b(), Long.toUnsignedString(e.b()), Long.toUnsignedString(e.c()));
            case ADD_DEVICE_TO_GROUP:
            case REMOVE_DEVICE_FROM_GROUP:
                return "IOMMU: groupID=" + e.a() + " device=" + e.s1();
            case ATTACH_DEVICE_TO_DOMAIN:
            case DETACH_DEVICE_FROM_DOMAIN:
                return "IOMMU: device=" + e.s1();
            case IO_PAGE_FAULT:
                return String.format("IOMMU:%s %s iova=0x%016x flags=0x%04x", e.s1(), e.s2(), e.a(), e.b());
            default:
                throw new IllegalStateException("trace event type " + e.type());
        }
    }
}
