package io.iommulab.core.impl.shell;

import io.iommulab.api.dto.LiveUpdateDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.core.impl.update.BundleUpdater;
import io.iommulab.lib.cmdline.Memparse;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code iommu:liveupdate} and {@code iommu:liveupdates}: a bundle updated under a running machine,
 * and what the core recorded. (Not {@code iommu:update}: an unscoped {@code update} would then
 * find either this or the framework's own, whichever Gogo sees first.)
 */
@Component(service = LiveUpdateCommands.class, property = {"osgi.command.scope=iommu",
    "osgi.command.function=liveupdate", "osgi.command.function=liveupdates"})
public final class LiveUpdateCommands {

    /** how long {@code liveupdates wait} waits unless told */
    static final long WAIT_MS = 60_000;

    private final BundleUpdater updater;

    @Activate
    public LiveUpdateCommands(@Reference BundleUpdater updater) {
        this.updater = updater;
    }

    @Descriptor("update a bundle (a driver, the page tables) under the running machine from its own location, and report"
            + " how each of its drivers' next version took over")
    public List<LiveUpdateDTO> liveupdate(@Descriptor("bundle id or Bundle-SymbolicName") String bundle) {
        return report(updater.update(bundle, null));
    }

    @Descriptor("update a bundle (a driver, the page tables) under the running machine from a jar, and report how each of"
            + " its drivers' next version took over")
    public List<LiveUpdateDTO> liveupdate(
            @Descriptor("bundle id or Bundle-SymbolicName") String bundle,
            @Descriptor("the new jar (same Bundle-SymbolicName)") String file) {
        return report(updater.update(bundle, file));
    }

    @Descriptor("live updates of drivers so far, oldest first")
    public List<LiveUpdateDTO> liveupdates() {
        return updater.liveUpdates();
    }

    @Descriptor("wait until COUNT bundle updates (iommu:liveupdate, the deploy folder) have finished since the start, at"
            + " most 60 s, and report the last")
    public List<LiveUpdateDTO> liveupdates(@Descriptor("wait") String action, @Descriptor("how many") String count) {
        return liveupdates(action, count, Long.toString(WAIT_MS / 1000));
    }

    @Descriptor("wait until COUNT bundle updates (iommu:liveupdate, the deploy folder) have finished since the start, and"
            + " report the last")
    public List<LiveUpdateDTO> liveupdates(@Descriptor("wait") String action, @Descriptor("how many") String count,
            @Descriptor("at most this many seconds") String seconds) {
        if (!"wait".equalsIgnoreCase(action.trim())) {
            throw new IommuException(Errno.EINVAL, "argument ACTION: '" + action + "' is not wait");
        }
        long n = Memparse.parse("COUNT", count).within(1, Integer.MAX_VALUE);
        long s = Memparse.parse("SECONDS", seconds).within(1, 86_400);
        return report(updater.awaitUpdates(n, s * 1000));
    }

    /** The bundle line goes with the output (stderr under the launcher's --json); the records are the result. */
    private static List<LiveUpdateDTO> report(BundleUpdater.Result r) {
        System.out.println(r.summary());
        return r.liveUpdates();
    }
}
