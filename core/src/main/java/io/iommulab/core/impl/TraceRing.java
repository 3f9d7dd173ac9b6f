package io.iommulab.core.impl;

import io.iommulab.api.dto.TraceEventDTO;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The iommu trace events: a bounded lock-free ring of raw events (numbers and string references),
 * formatted in the shapes of include/trace/events/iommu.h only when read, so emitting costs one
 * small allocation, two atomic operations and two volatile reads. The ring can be resized while
 * events are emitted ({@link #resize}, as tracefs' buffer_size_kb): it keeps the newest events that
 * fit, and loses none emitted meanwhile.
 */
public final class TraceRing {

    static final int MAP = 0;
    static final int UNMAP = 1;
    static final int ADD_DEVICE_TO_GROUP = 2;
    static final int REMOVE_DEVICE_FROM_GROUP = 3;
    static final int ATTACH_DEVICE_TO_DOMAIN = 4;
    static final int DETACH_DEVICE_FROM_DOMAIN = 5;
    static final int IO_PAGE_FAULT = 6;
    static final int DMA_SANITIZER = 7;

    private static final String[] NAMES = {"map", "unmap", "add_device_to_group", "remove_device_from_group",
        "attach_device_to_domain", "detach_device_from_domain", "io_page_fault", "dma_sanitizer"};

    /**
     * One recorded event; {@code seq} tells a reader whether the slot still holds what it expects.
     * {@code dom} is the domain of a map or unmap (not printed, as upstream's events do not carry
     * it; the DMA sanitizer looks changes up by it).
     */
    private record Event(long seq, long timestampNs, int type, int dom, long a, long b, long c, String s1, String s2) {
    }

    /**
     * The last map or unmap of a domain that covered an IOVA, as the DMA sanitizer names "when and
     * by which operation the table changed".
     *
     * @param unmap       true for an unmap
     * @param domain      the domain
     * @param iova        start of the operation's range
     * @param size        its size (an unmap: what it unmapped)
     * @param paddr       a map's physical address (0 for an unmap)
     * @param timestampNs when, since the core started
     */
    public record Change(boolean unmap, int domain, long iova, long size, long paddr, long timestampNs) {
        /** e.g. {@code iommu_unmap 0x4000 @0x200000 by domain 3 at 12.345 ms} */
        @Override
        public String toString() {
            return String.format("%s 0x%x @0x%x%s by domain %d at %d.%03d ms", unmap ? "iommu_unmap" : "iommu_map",
                    size, iova, unmap ? "" : String.format(" -> 0x%x", paddr), domain, timestampNs / 1_000_000,
                    (timestampNs / 1000) % 1000);
        }
    }

    /** The slots of one size; an event with sequence number s lives in slot {@code s & mask}. */
    private record Slots(AtomicReferenceArray<Event> events, int mask) {
        Slots(int capacity) {
            this(new AtomicReferenceArray<>(capacity), capacity - 1);
        }

        Event get(long seq) {
            return events.get((int) (seq & mask));
        }

        int length() {
            return events.length();
        }

        /** Stores {@code e} unless its slot holds it or a newer event already. */
        void putIfNewer(Event e) {
            int i = (int) (e.seq() & mask);
            while (true) {
                Event cur = events.get(i);
                if (cur != null && cur.seq() >= e.seq()) {
                    return;
                }
                if (events.compareAndSet(i, cur, e)) {
                    return;
                }
            }
        }
    }

    private volatile Slots ring;
    private final Object resizing = new Object();
    private final AtomicLong next = new AtomicLong();
    private final long startNs;
    private volatile boolean enabled;
    /** sequence number of the first event a reader may see (set by clear) */
    private volatile long firstVisible;

    public TraceRing(int capacity, long startNs, boolean enabled) {
        this.ring = new Slots(checked(capacity));
        this.startNs = startNs;
        this.enabled = enabled;
    }

    private static int checked(int capacity) {
        if (capacity <= 0 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("trace ring capacity " + capacity + " is not a power of two");
        }
        return capacity;
    }

    /** @return how many events the ring holds at most */
    public int capacity() {
        return ring.length();
    }

    /**
     * Gives the ring room for {@code capacity} events, keeping the newest ones that fit. Emitters
     * are not blocked: an event emitted into the old slots while they are copied is stored again
     * in the new ones by its emitter, which looks at the ring once more after storing.
     */
    public void resize(int capacity) {
        checked(capacity);
        synchronized (resizing) {
            Slots old = ring;
            if (old.length() == capacity) {
                return;
            }
            Slots grown = new Slots(capacity);
            ring = grown; // before reading next: an event numbered from here on sees the new slots
            long end = next.get();
            for (long s = Math.max(0, end - Math.min(old.length(), capacity)); s < end; s++) {
                Event e = old.get(s);
                if (e != null && e.seq() == s) {
                    grown.putIfNewer(e);
                }
            }
        }
    }

    public boolean enabled() {
        return enabled;
    }

    public void setEnabled(boolean on) {
        enabled = on;
    }

    private void emit(int type, long a, long b, long c, String s1, String s2) {
        emit(type, 0, a, b, c, s1, s2);
    }

    private void emit(int type, int dom, long a, long b, long c, String s1, String s2) {
        Slots r = ring;
        long seq = next.getAndIncrement();
        Event e = new Event(seq, System.nanoTime() - startNs, type, dom, a, b, c, s1, s2);
        r.events().set((int) (seq & r.mask()), e);
        Slots now = ring;
        if (now != r) {
            now.putIfNewer(e); // resized meanwhile: the copy may have missed it
        }
    }

    /** trace_map(iova, paddr, size), of {@code domain} */
    public void map(int domain, long iova, long paddr, long size) {
        if (enabled) {
            emit(MAP, domain, iova, paddr, size, null, null);
        }
    }

    /** trace_unmap(iova, size, unmapped_size), of {@code domain} */
    public void unmap(int domain, long iova, long size, long unmapped) {
        if (enabled) {
            emit(UNMAP, domain, iova, size, unmapped, null, null);
        }
    }

    /** A DMA sanitizer finding ({@code kind}, e.g. stale-translation) at an IOVA, with its one-line text. */
    public void dmaSanitizer(String kind, long iova, String text) {
        if (enabled) {
            emit(DMA_SANITIZER, iova, 0, 0, kind, text);
        }
    }

    /**
     * The newest map or unmap of {@code domain} whose range covers {@code iova}, among the events
     * still in the ring (a clear hides events from listings, not from this look-up).
     *
     * @return the change, or null if none is in the ring (or tracing is off)
     */
    public Change lastChange(int domain, long iova) {
        Slots slots = ring;
        long end = next.get();
        long start = Math.max(0, end - slots.length());
        for (long s = end - 1; s >= start; s--) {
            Event e = slots.get(s);
            if (e == null || e.seq() != s || e.dom() != domain || (e.type() != MAP && e.type() != UNMAP)) {
                continue;
            }
            boolean unmap = e.type() == UNMAP;
            long size = e.c(); // a map's size, an unmap's unmapped size
            if (Long.compareUnsigned(iova - e.a(), size) < 0) {
                return new Change(unmap, domain, e.a(), size, unmap ? 0 : e.b(), e.timestampNs());
            }
        }
        return null;
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
        Slots slots = ring;
        long end = next.get();
        long start = Math.max(firstVisible, end - slots.length());
        List<TraceEventDTO> out = new ArrayList<>((int) Math.max(0, end - start));
        for (long s = start; s < end; s++) {
            Event e = slots.get(s);
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
            case DMA_SANITIZER:
                return String.format("IOMMU: %s iova=0x%016x %s", e.s1(), e.a(), e.s2());
            default:
                throw new IllegalStateException("trace event type " + e.type());
        }
    }
}
