package io.iommulab.itest;

import io.iommulab.api.IommuService;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import java.io.File;
import javax.inject.Inject;
import org.junit.Before;
import org.junit.Rule;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.BundleContext;

/**
 * What the ITs on one board share: a container logging to its own file, the DMA sanitizer checked
 * after every test, and the board ({@link Booted}: the default board on the DART, or its SMMU twin)
 * booted by the first test with every IOMMU and master probed.
 */
abstract class OnBootedBoard {

    @Rule
    public final SanitizerCheck sanitizer = new SanitizerCheck();

    @Inject
    protected BundleContext context;

    @Inject
    protected MachineFactory factory;

    protected Machine m;
    protected IommuService iommu;
    protected DmaApi dma;

    private final File log;
    private final boolean smmuTwin;

    /**
     * @param log      where slf4j-simple writes this container's log, for the tests that read it
     * @param smmuTwin the default board's SMMU twin instead of the default board
     */
    OnBootedBoard(File log, boolean smmuTwin) {
        this.log = log;
        this.smmuTwin = smmuTwin;
    }

    @Configuration
    public Option[] config() {
        return Container.options(false, log);
    }

    @Before
    public void bootOnce() throws Exception {
        Booted b = smmuTwin ? Booted.smmuTwin(context, factory) : Booted.dartDefault(context, factory);
        m = b.m();
        iommu = b.iommu();
        dma = b.dma();
    }
}
