package io.iommulab.testiommu.fake;

import io.iommulab.api.hw.TranslationCheck;
import io.iommulab.api.machine.StaleTranslation;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

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
}
