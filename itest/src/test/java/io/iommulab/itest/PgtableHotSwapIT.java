package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.iommulab.api.Prot;
import io.iommulab.api.driver.IotlbGather;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableContext;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.api.pgtable.TlbFlushOps;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.inject.Inject;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Hot swap of the page-table formats: a table built by one revision of the pgtable bundle lives on
 * in the machine's memory; after {@link Bundle#update(InputStream)} the new revision's format
 * service re-opens it from its {@link PageTableState}, the old mappings still translate, maps and
 * unmaps through the new code work on the same tables, and freeing through the new code gives back
 * every page the old code took.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PgtableHotSwapIT {

    private static final String PGTABLE_BSN = "io.iommulab.pgtable";
    private static final String[] FORMATS = {PageTableFormat.APPLE_DART, PageTableFormat.APPLE_DART2,
        PageTableFormat.ARM_LPAE_S1};
    /** Inside the testkit board's RAM (1 GiB at 32 GiB), below every format's OAS. */
    private static final long RAM = 0x8_0000_0000L;

    @Rule
    public final SanitizerCheck sanitizer = new SanitizerCheck();

    @Inject
    private BundleContext context;

    @Inject
    private MachineFactory factory;

    @Configuration
    public Option[] config() {
        return Container.options(false);
    }

    @Test
    public void everyFormatIsAServiceNamedByItsProperty() throws Exception {
        for (String name : FORMATS) {
            ServiceReference<PageTableFormat> ref = await(name, null);
            PageTableFormat f = context.getService(ref);
            try {
                assertEquals(name, f.name());
                assertEquals(PGTABLE_BSN, ref.getBundle().getSymbolicName());
            } finally {
                context.ungetService(ref);
            }
        }
    }

    @Test
    public void appleDartTablesSurviveABundleUpdate() throws Exception {
        hotSwap(PageTableFormat.APPLE_DART, PageTableConfig.of(1L << 14, 32, 36));
    }

    @Test
    public void appleDart2TablesSurviveABundleUpdate() throws Exception {
        hotSwap(PageTableFormat.APPLE_DART2, PageTableConfig.of(1L << 14, 36, 42));
    }

    @Test
    public void armLpaeS1TablesSurviveABundleUpdate() throws Exception {
        hotSwap(PageTableFormat.ARM_LPAE_S1, PageTableConfig.of((1L << 12) | (1L << 21) | (1L << 30), 48, 42));
    }

    private void hotSwap(String name, PageTableConfig config) throws Exception {
        Machine m = factory.current().orElseGet(() -> factory.boot("testkit.dts", Container.testkitDts()));
        Bundle pgtable = pgtableBundle();
        CountingFlush flush = new CountingFlush();
        PageTableContext ctx = new PageTableContext(m.memory(), m.pages(), "itest:hotswap:" + name, flush);

        ServiceReference<PageTableFormat> oldRef = await(name, null);
        PageTableFormat oldFormat = context.getService(oldRef);
        assertNotNull(oldFormat);
        BundleRevision oldRevision = pgtable.adapt(BundleRevision.class);
        assertSame("the format's class comes from the installed pgtable revision", pgtable,
                FrameworkUtil.getBundle(oldFormat.getClass()));

        long pagesBefore = m.pages().pagesInUse();
        PageTableOps ops = oldFormat.alloc(config, ctx);
        long g = Long.lowestOneBit(ops.state().config().pgsizeBitmap());
        long leafSpan = g * (g / 8);
        // A run inside one leaf table, a page in another top-level slot, and a page at the end of the space.
        long runIova = 5 * leafSpan + 3 * g;
        long farIova = 17 * leafSpan;
        long topIova = (1L << config.ias()) - g;
        long runPa = RAM + 0x100_0000L;
        long farPa = RAM + 0x200_0000L;
        long topPa = RAM + 0x300_0000L;
        assertEquals(8 * g, mapAll(ops, runIova, runPa, g, 8, Prot.READ | Prot.WRITE));
        assertEquals(g, mapAll(ops, farIova, farPa, g, 1, Prot.READ));
        assertEquals(g, mapAll(ops, topIova, topPa, g, 1, Prot.WRITE));
        long blockIova = 0;
        long blockPa = RAM + 0x400_0000L;
        long block = 2L << 20;
        boolean blocks = (ops.state().config().pgsizeBitmap() & block) != 0;
        if (blocks) {
            // LPAE: a 2 MiB block mapping as well, a leaf one level up.
            blockIova = 40 * block;
            assertEquals(block, ops.mapPages(blockIova, blockPa, block, 1, Prot.READ | Prot.WRITE));
        }
        assertTranslates(ops, runIova, runPa, g, 8);
        assertEquals(farPa + 0x42, ops.iovaToPhys(farIova + 0x42));
        assertEquals(topPa + g - 1, ops.iovaToPhys(topIova + g - 1));
        PageTableState state = ops.state();
        long tablePages = ops.tablePages();
        long tableBytes = ops.tableBytes();
        assertTrue(name + " holds table pages", tablePages > 0);
        assertTrue(name + " took pages from the machine", m.pages().pagesInUse() > pagesBefore);
        ops = null;
        context.ungetService(oldRef);
        oldFormat = null;

        // The update: the same jar again, as a new revision with new class loaders.
        Container.update(context, pgtable, Container.jar("pgtable"));
        assertEquals(Bundle.ACTIVE, pgtable.getState());
        BundleRevision newRevision = pgtable.adapt(BundleRevision.class);
        assertNotSame("update made a new revision", oldRevision, newRevision);

        ServiceReference<PageTableFormat> newRef = await(name, (Long) oldRef.getProperty(Constants.SERVICE_ID));
        assertNotEquals("a new service registration", oldRef.getProperty(Constants.SERVICE_ID),
                newRef.getProperty(Constants.SERVICE_ID));
        PageTableFormat newFormat = context.getService(newRef);
        try {
            ClassLoader newLoader = pgtable.adapt(BundleWiring.class).getClassLoader();
            assertSame("the new format's class is loaded by the new revision", newLoader,
                    newFormat.getClass().getClassLoader());
            assertSame(newRevision, FrameworkUtil.getBundle(newFormat.getClass()).adapt(BundleRevision.class));
            assertEquals(name, newFormat.name());

            PageTableOps reopened = newFormat.attach(state, ctx);
            assertSame("attach lives in the new code", newLoader, reopened.getClass().getClassLoader());
            assertEquals("attach changes nothing", state, reopened.state());
            assertEquals(tablePages, reopened.tablePages());
            assertEquals(tableBytes, reopened.tableBytes());

            // The old mappings, through the new code.
            assertTranslates(reopened, runIova, runPa, g, 8);
            assertEquals(farPa + 0x42, reopened.iovaToPhys(farIova + 0x42));
            assertEquals(topPa + g - 1, reopened.iovaToPhys(topIova + g - 1));
            if (blocks) {
                assertEquals(blockPa + 0x12_3456, reopened.iovaToPhys(blockIova + 0x12_3456));
            }
            assertEquals(0, reopened.iovaToPhys(runIova + 8 * g));

            // The new code sees the old entries: an overlapping map fails and writes nothing.
            try {
                reopened.mapPages(runIova + 6 * g, RAM, g, 4, Prot.READ);
                fail(name + ": a map over old entries succeeded");
            } catch (IommuException e) {
                assertEquals(e.getMessage(), Errno.EEXIST, e.errno());
            }
            assertEquals(0, reopened.iovaToPhys(runIova + 8 * g));
            assertEquals(runPa + 6 * g, reopened.iovaToPhys(runIova + 6 * g));

            // New maps through the new code: next to the old run (an old leaf table) and far away (new tables).
            long nextPa = RAM + 0x500_0000L;
            assertEquals(4 * g, mapAll(reopened, runIova + 8 * g, nextPa, g, 4, Prot.READ));
            long newIova = 23 * leafSpan + 5 * g;
            long newPa = RAM + 0x600_0000L;
            assertEquals(2 * g, mapAll(reopened, newIova, newPa, g, 2, Prot.READ | Prot.WRITE));
            assertTrue(name + ": the new map took a table", reopened.tablePages() > tablePages);
            assertTranslates(reopened, runIova + 8 * g, nextPa, g, 4);
            assertTranslates(reopened, newIova, newPa, g, 2);
            assertTranslates(reopened, runIova, runPa, g, 8);

            // Unmaps through the new code, of old and new entries; a hole stops it as before.
            long addsBefore = flush.pagesAdded.get();
            assertEquals(12 * g, unmapAll(reopened, runIova, g, 12));
            assertEquals(0, reopened.iovaToPhys(runIova));
            assertEquals(0, reopened.iovaToPhys(runIova + 11 * g));
            assertEquals(0, reopened.unmapPages(runIova, g, 1, null));
            assertEquals(g, unmapAll(reopened, farIova, g, 1));
            assertEquals(0, reopened.iovaToPhys(farIova));
            assertTrue(name + ": unmapped leaves went to the flush callbacks",
                    flush.pagesAdded.get() - addsBefore >= 2);
            assertEquals(topPa, reopened.iovaToPhys(topIova));
            assertEquals(newPa + g, reopened.iovaToPhys(newIova + g));

            // Remap an old IOVA through the new code.
            assertEquals(g, mapAll(reopened, farIova, newPa, g, 1, Prot.READ));
            assertEquals(newPa + 7, reopened.iovaToPhys(farIova + 7));

            // Free through the new code: every page of both revisions goes back.
            long flushAllBefore = flush.flushAll.get();
            reopened.free();
            assertTrue(name + ": free flushes all", flush.flushAll.get() > flushAllBefore);
            assertEquals(name + ": pages by owner after free " + m.pages().pagesByOwner(), pagesBefore,
                    m.pages().pagesInUse());
        } finally {
            context.ungetService(newRef);
        }
    }

    private Bundle pgtableBundle() {
        for (Bundle b : context.getBundles()) {
            if (PGTABLE_BSN.equals(b.getSymbolicName())) {
                assertEquals(PGTABLE_BSN + " is active", Bundle.ACTIVE, b.getState());
                return b;
            }
        }
        throw new AssertionError(PGTABLE_BSN + " is not installed");
    }

    /**
     * @param notId a service id the result must not have (the registration from before an update), or null
     * @return the format service named {@code name}, waiting up to {@link Container#TIMEOUT_MS}
     */
    private ServiceReference<PageTableFormat> await(String name, Long notId) throws Exception {
        Filter filter = context.createFilter("(&(" + Constants.OBJECTCLASS + "=" + PageTableFormat.class.getName() + ")("
                + PageTableFormat.PROPERTY + "=" + name + "))");
        ServiceTracker<PageTableFormat, PageTableFormat> t = new ServiceTracker<>(context, filter, null);
        t.open();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Container.TIMEOUT_MS);
            while (System.nanoTime() - deadline < 0) {
                ServiceReference<PageTableFormat>[] refs = t.getServiceReferences();
                if (refs != null) {
                    for (ServiceReference<PageTableFormat> r : refs) {
                        if (notId == null || !notId.equals(r.getProperty(Constants.SERVICE_ID))) {
                            return r;
                        }
                    }
                }
                Thread.sleep(10);
            }
            throw new AssertionError("no PageTableFormat service with " + PageTableFormat.PROPERTY + "=" + name
                    + (notId == null ? "" : " other than service.id " + notId) + " after " + Container.TIMEOUT_MS + " ms");
        } finally {
            t.close();
        }
    }

    /** Maps {@code count} pages, continuing after short counts at table ends as the IOMMU core does. */
    private static long mapAll(PageTableOps ops, long iova, long pa, long pgsize, long count, int prot) {
        long done = 0;
        while (done < count * pgsize) {
            long n = ops.mapPages(iova + done, pa + done, pgsize, count - done / pgsize, prot);
            assertTrue("mapPages at 0x" + Long.toHexString(iova + done) + " made progress", n > 0);
            done += n;
        }
        return done;
    }

    private static long unmapAll(PageTableOps ops, long iova, long pgsize, long count) {
        long done = 0;
        while (done < count * pgsize) {
            long n = ops.unmapPages(iova + done, pgsize, count - done / pgsize, null);
            if (n == 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    private static void assertTranslates(PageTableOps ops, long iova, long pa, long pgsize, int count) {
        for (int i = 0; i < count; i++) {
            long off = i * pgsize + 0x42;
            assertEquals("IOVA 0x" + Long.toHexString(iova + off), pa + off, ops.iovaToPhys(iova + off));
        }
    }

    /** Counts what the format asks the driver to invalidate. */
    private static final class CountingFlush implements TlbFlushOps {
        final AtomicLong pagesAdded = new AtomicLong();
        final AtomicLong flushAll = new AtomicLong();

        @Override
        public void tlbFlushAll() {
            flushAll.incrementAndGet();
        }

        @Override
        public void tlbAddPage(IotlbGather gather, long iova, long granule) {
            pagesAdded.incrementAndGet();
        }
    }
}
