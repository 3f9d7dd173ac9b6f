package io.iommulab.pgtable.conformance;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableConfig;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableOps;
import io.iommulab.api.pgtable.PageTableState;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.stream.Stream;

/**
 * The formats under test and every configuration they accept.
 *
 * <p>Formats are the DS component classes of {@code io.iommulab.pgtable.osgi}, found on the test
 * class path and instantiated as SCR would (public no-argument constructor): the suite sees them
 * only through the {@link PageTableFormat} SPI, so a new format component joins the suite by
 * existing.
 *
 * <p>Configurations are enumerated over granule x IAS x OAS; each is tried with {@code alloc}: an
 * {@code EINVAL} means "not accepted", anything else that throws is a failure of the format.
 */
final class Formats {

    static final String OSGI_PACKAGE = "io.iommulab.pgtable.osgi";
    static final long SZ_4K = 1L << 12;
    static final long SZ_16K = 1L << 14;
    static final long SZ_64K = 1L << 16;
    static final long[] GRANULES = {SZ_4K, SZ_16K, SZ_64K};
    static final int[] IAS = {30, 32, 36, 39, 42, 48};
    static final int[] OAS = {36, 40, 42, 48};

    /** One configuration tried on one format. */
    record Candidate(PageTableFormat format, PageTableConfig config) {
        @Override
        public String toString() {
            return format.name() + " " + sizeName(granule()) + " bitmap=0x" + Long.toHexString(config.pgsizeBitmap())
                    + " ias=" + config.ias() + " oas=" + config.oas() + (config.coherentWalk() ? "" : " non-coherent");
        }

        long granule() {
            return Long.lowestOneBit(config.pgsizeBitmap());
        }
    }

    /**
     * The outcome of alloc for one candidate.
     *
     * @param state     the state the format reported (null if rejected or failed)
     * @param rejection the EINVAL it threw, if rejected
     * @param failure   anything else it threw
     * @param leakedPages allocator pages still in use after free (or after the rejection)
     */
    record Outcome(Candidate candidate, PageTableState state, IommuException rejection, Throwable failure,
                   long leakedPages) {
        boolean accepted() {
            return state != null;
        }
    }

    private static List<PageTableFormat> formats;
    private static List<Outcome> outcomes;

    private Formats() {
    }

    /** @return the format components found, by name */
    static synchronized List<PageTableFormat> all() {
        if (formats == null) {
            formats = discover();
        }
        return formats;
    }

    /** @return the alloc outcome of every enumerated candidate of every format (computed once) */
    static synchronized List<Outcome> outcomes() {
        if (outcomes == null) {
            List<Outcome> out = new ArrayList<>();
            for (PageTableFormat f : all()) {
                for (Candidate c : candidates(f)) {
                    out.add(tryAlloc(c));
                }
            }
            outcomes = List.copyOf(out);
        }
        return outcomes;
    }

    /** @return the accepted configurations, as the format settled them (config from its state) */
    static List<Candidate> accepted() {
        List<Candidate> out = new ArrayList<>();
        for (Outcome o : outcomes()) {
            if (o.accepted()) {
                out.add(new Candidate(o.candidate().format(), o.candidate().config()));
            }
        }
        return out;
    }

    static PageTableFormat byName(String name) {
        for (PageTableFormat f : all()) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        return null;
    }

    static boolean isDart(String name) {
        return name.equals(PageTableFormat.APPLE_DART) || name.equals(PageTableFormat.APPLE_DART2);
    }

    /**
     * The page-size bitmaps a driver would pass for a granule: DART takes exactly one page size;
     * an LPAE-style format takes the granule and its block sizes and reduces them itself.
     */
    static long bitmapFor(String format, long granule) {
        if (isDart(format)) {
            return granule;
        }
        return granule | blockSizes(granule);
    }

    /** @return the LPAE block sizes of a granule (1 GiB/2 MiB for 4K, 32 MiB for 16K, 512 MiB for 64K) */
    static long blockSizes(long granule) {
        if (granule == SZ_4K) {
            return (1L << 21) | (1L << 30);
        }
        if (granule == SZ_16K) {
            return 1L << 25;
        }
        return 1L << 29;
    }

    static List<Candidate> candidates(PageTableFormat f) {
        List<Candidate> out = new ArrayList<>();
        for (long g : GRANULES) {
            for (int ias : IAS) {
                for (int oas : OAS) {
                    out.add(new Candidate(f, PageTableConfig.of(bitmapFor(f.name(), g), ias, oas)));
                }
            }
        }
        return out;
    }

    static Outcome tryAlloc(Candidate c) {
        Fixture fx = new Fixture("conformance-probe:" + c);
        try {
            PageTableOps ops = c.format().alloc(c.config(), fx.ctx);
            PageTableState st = ops.state();
            ops.free();
            return new Outcome(c, st, null, null, fx.pages.pagesInUse() - fx.baseline);
        } catch (IommuException e) {
            long leaked = fx.pages.pagesInUse() - fx.baseline;
            if (e.errno() == Errno.EINVAL) {
                return new Outcome(c, null, e, null, leaked);
            }
            return new Outcome(c, null, null, e, leaked);
        } catch (RuntimeException | Error e) {
            return new Outcome(c, null, null, e, fx.pages.pagesInUse() - fx.baseline);
        }
    }

    static String sizeName(long size) {
        if (size >= (1L << 30) && (size & ((1L << 30) - 1)) == 0) {
            return (size >> 30) + "G";
        }
        if (size >= (1L << 20) && (size & ((1L << 20) - 1)) == 0) {
            return (size >> 20) + "M";
        }
        if (size >= (1L << 10) && (size & ((1L << 10) - 1)) == 0) {
            return (size >> 10) + "K";
        }
        return Long.toString(size);
    }

    /** Finds every concrete PageTableFormat class in the component package on the class path. */
    private static List<PageTableFormat> discover() {
        List<PageTableFormat> out = new ArrayList<>();
        ClassLoader cl = Formats.class.getClassLoader();
        try {
            Enumeration<URL> urls = cl.getResources(OSGI_PACKAGE.replace('.', '/'));
            while (urls.hasMoreElements()) {
                URL url = urls.nextElement();
                if (!"file".equals(url.getProtocol())) {
                    continue;
                }
                Path dir = Paths.get(url.toURI());
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path p : files.sorted().toList()) {
                        String file = p.getFileName().toString();
                        if (!file.endsWith(".class") || file.contains("$")) {
                            continue;
                        }
                        Class<?> k = Class.forName(OSGI_PACKAGE + "." + file.substring(0, file.length() - 6), true, cl);
                        if (PageTableFormat.class.isAssignableFrom(k) && !k.isInterface()
                                && !Modifier.isAbstract(k.getModifiers())) {
                            out.add((PageTableFormat) k.getDeclaredConstructor().newInstance());
                        }
                    }
                }
            }
        } catch (IOException | URISyntaxException | ReflectiveOperationException e) {
            throw new IllegalStateException("cannot list the format components of " + OSGI_PACKAGE + ": " + e, e);
        }
        out.sort(Comparator.comparing(PageTableFormat::name));
        return List.copyOf(out);
    }
}
