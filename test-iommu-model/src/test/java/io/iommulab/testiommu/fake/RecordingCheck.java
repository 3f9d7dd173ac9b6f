package io.iommulab.testiommu.fake;

import io.iommulab.api.hw.TranslationCheck;
import io.iommulab.api.machine.StaleTranslation;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/** The machine's translation check as a test drives it: switched by the test, keeping every stale hit reported. */
public final class RecordingCheck implements TranslationCheck {

    private volatile boolean enabled;
    /** Stale hits in the order they were reported. */
    public final List<StaleTranslation> stale = new CopyOnWriteArrayList<>();

    /** Turns the check on or off (as setting or removing the machine's bus monitor does). */
    public void enable(boolean on) {
        enabled = on;
    }

    @Override
    public boolean enabled() {
        return enabled;
    }

    @Override
    public void stale(StaleTranslation s) {
        stale.add(s);
    }

    /** For each stale hit, whether the IOTLB still held its entry when asked, right after {@link #beforeAsking} ran. */
    public final List<Boolean> stillCached = new CopyOnWriteArrayList<>();
    /** Run between a report and the question whether the entry is still cached (an invalidation racing the hit, say). */
    public volatile Runnable beforeAsking = () -> { };

    @Override
    public void stale(StaleTranslation s, BooleanSupplier cached) {
        stale.add(s);
        beforeAsking.run();
        stillCached.add(cached.getAsBoolean());
    }
}
