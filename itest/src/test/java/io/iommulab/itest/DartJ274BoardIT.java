package io.iommulab.itest;

import io.iommulab.api.machine.MachineFactory;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/** The DART backend on the real t8103-j274 device tree (see {@link RealBoardDartCheck}). */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DartJ274BoardIT {

    @Inject
    private BundleContext context;

    @Inject
    private MachineFactory factory;

    @Configuration
    public Option[] config() {
        return Container.options(false);
    }

    @Test
    public void everyDartProbesAndEveryMasterDmas() throws Exception {
        RealBoardDartCheck.check(context, factory, "t8103-j274.dtb");
    }
}
