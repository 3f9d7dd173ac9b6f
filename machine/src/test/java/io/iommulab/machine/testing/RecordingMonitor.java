package io.iommulab.machine.testing;

import io.iommulab.api.hw.Access;
import io.iommulab.api.machine.BusMonitor;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.StaleTranslation;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * Test support (published in the machine's test jar): a {@link BusMonitor} that keeps what it is
 * told, for tests of the bus's debug port and of the models' stale-hit reports.
 */
public final class RecordingMonitor implements BusMonitor {

    /** One {@link #transaction} call. */
    public record Piece(String master, int stream, long iova, int len, Access access, long paddr, String fault) {
    }

    /** Transactions in the order they were told. */
    public final List<Piece> pieces = new CopyOnWriteArrayList<>();
    /** Stale hits in the order they were reported. */
    public final List<StaleTranslation> stale = new CopyOnWriteArrayList<>();
    /**
     * For each stale hit reported with a way to ask, whether the IOTLB still held its entry when
     * asked: right after {@link #beforeAsking} ran (as a sanitizer asks after looking at software).
     */
    public final List<Boolean> stillCached = new CopyOnWriteArrayList<>();
    /** Run between a report and the question whether the entry is still cached (an invalidation racing the hit, say). */
    public volatile Runnable beforeAsking = () -> { };

    @Override
    public void transaction(DmaMaster master, int stream, long iova, int len, Access access, long paddr, String fault) {
        pieces.add(new Piece(master.name(), stream, iova, len, access, paddr, fault));
    }

    @Override
    public void staleTranslation(StaleTranslation s) {
        stale.add(s);
    }

    @Override
    public void staleTranslation(StaleTranslation s, BooleanSupplier cached) {
        stale.add(s);
        beforeAsking.run();
        stillCached.add(cached.getAsBoolean());
    }

    /** Forgets everything seen so far. */
    public void clear() {
        pieces.clear();
        stale.clear();
        stillCached.clear();
    }
}
