package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.iommulab.api.error.DeviceTreeException;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import java.nio.ByteBuffer;
import javax.inject.Inject;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/** A malformed board is refused with the byte offset at fault, and leaves no machine behind. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MalformedBoardIT {

    @Rule
    public final SanitizerCheck sanitizer = new SanitizerCheck();

    @Inject
    private BundleContext context;

    @Inject
    private MachineFactory factory;

    @Configuration
    public Option[] config() {
        return Container.options(true);
    }

    @Test
    public void malformedDtbNamesTheOffsetAndChangesNothing() throws Exception {
        assertFalse(factory.current().isPresent());
        // A complete version-17 FDT header whose totalsize claims more bytes than there are.
        ByteBuffer hdr = ByteBuffer.allocate(40);
        hdr.putInt(0xd00dfeed).putInt(0x1000).putInt(0x38).putInt(0x40).putInt(0x28)
                .putInt(17).putInt(16).putInt(0).putInt(0).putInt(0);
        try {
            factory.boot("bad.dtb", hdr.array());
            fail("a malformed DTB booted");
        } catch (DeviceTreeException e) {
            assertEquals("bad.dtb", e.source());
            assertTrue(e.where(), e.where().matches("offset 0x[0-9a-f]+"));
            assertTrue(e.getMessage(), e.getMessage().contains(e.where()));
        }
        assertFalse("no machine after a failed boot", factory.current().isPresent());
        assertNull("no Machine service after a failed boot", context.getServiceReference(Machine.class));

        // Nothing was left half-done: a good board boots afterwards.
        Machine m = factory.boot("testkit.dts", Container.testkitDts());
        assertEquals(m, factory.current().orElseThrow());
        assertEquals(m, Container.service(context, Machine.class));
    }
}
