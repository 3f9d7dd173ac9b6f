package io.iommulab.itest;

import io.iommulab.api.IommuService;
import io.iommulab.api.dma.DmaApi;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.dto.SanitizerFindingDTO;
import io.iommulab.api.lab.Lab;
import io.iommulab.api.lab.LabFactory;
import io.iommulab.api.machine.DetachedMachine;
import io.iommulab.api.machine.IommuHardware;
import io.iommulab.api.machine.Machine;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.rules.TestRule;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;

/**
 * The DMA sanitizer's verdict on every test (issue 13): every IT declares this rule
 * ({@code @Rule public final SanitizerCheck sanitizer = new SanitizerCheck();}, which
 * {@code EveryItChecksTheSanitizerTest} enforces). The container starts the registered core with
 * the sanitizer on from the boot ({@link Container#options}); labs a test opens through
 * {@link #labs(LabFactory)} have it on too; comparisons run it in every backend's lab. After each
 * test, passed or failed, it asserts for the registered core, every such lab and every comparison:
 * <ul>
 * <li>the sanitizer is on;</li>
 * <li>it found nothing (the findings are listed otherwise);</li>
 * <li>it checked at least as many transactions as the machine's IOMMU models translated
 * successfully meanwhile (per IOMMU: IOTLB hits + misses − faults), so that a sanitizer that is
 * not on the bus fails the test instead of passing it silently; a comparison's backends each
 * checked some.</li>
 * </ul>
 * A test that makes findings on purpose asserts them with {@link #expect}, which clears them.
 */
final class SanitizerCheck implements TestRule {

    /** The core's option that starts the sanitizer (CoreConfig.SANITIZE). */
    static final String SANITIZE = "iommulab.iommu.sanitize";
    /** The session variable {@code iommu:compare} leaves each comparison's sanitizer states in (CompareCommands). */
    static final String COMPARE_VARIABLE = "iommulab_compare_sanitizer";
    private static final String HITS = "iotlb.hits";
    private static final String MISSES = "iotlb.misses";
    private static final String FAULTS = "faults";
    /** findings listed in a failure */
    private static final int LISTED = 20;

    /** A core being watched: what its sanitizer and its machine's models had counted at the baseline. */
    private static final class Watched {
        final String name;
        final IommuService core;
        final Machine machine;
        long transactions;
        /** findings counted, and the last one's seq, at the baseline: only later ones are this test's */
        long findings;
        long lastSeq;
        Map<String, Long> translated;
        /** the state and counters when it was closed (a lab), else null: read at the end */
        SanitizerDTO finalState;
        Map<String, Long> finalTranslated;

        Watched(String name, IommuService core, Machine machine) {
            this.name = name;
            this.core = core;
            this.machine = machine;
            rebaseline();
        }

        void rebaseline() {
            SanitizerDTO s = core.sanitizer();
            transactions = s.transactions();
            findings = s.total();
            lastSeq = s.history().isEmpty() ? 0 : s.history().get(s.history().size() - 1).seq();
            translated = translated(machine);
        }

        /** Everything counted so far is new: the core was booted during the test. */
        void fromZero() {
            transactions = 0;
            findings = 0;
            lastSeq = 0;
            translated = Map.of();
        }

        void close() {
            finalState = core.sanitizer();
            finalTranslated = translated(machine);
        }
    }

    /** One comparison's sanitizer states by backend, and the backends expected to stop before any DMA. */
    private record Compared(String what, Map<String, SanitizerDTO> states, Collection<String> stopped) {
    }

    // JUnit makes a new test instance, so a new rule, for every test
    private final List<Watched> labs = new ArrayList<>();
    private final List<Compared> compared = new ArrayList<>();
    private Watched registered;

    @Override
    public Statement apply(Statement base, Description description) {
        return new Statement() {
            @Override
            public void evaluate() throws Throwable {
                registered = registeredCore();
                Throwable failure = null;
                try {
                    base.evaluate();
                } catch (Throwable t) {
                    failure = t;
                }
                try {
                    verify();
                } catch (AssertionError | RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
                if (failure != null) {
                    throw failure;
                }
            }
        };
    }

    /**
     * @return {@code factory}, opening every lab with the sanitizer on (unless the config says
     *         otherwise, which a test must not do) and watched by this rule
     */
    LabFactory labs(LabFactory factory) {
        return (machine, config) -> {
            Map<String, String> withSanitizer = new HashMap<>(config);
            withSanitizer.putIfAbsent(SANITIZE, "true");
            Lab lab = factory.open(machine, withSanitizer);
            Watched w = new Watched("lab " + machine.deviceTree().source(), lab.iommu(), lab.machine());
            synchronized (labs) {
                labs.add(w);
            }
            return new WatchedLab(lab, w);
        };
    }

    /** A lab whose sanitizer state is kept when it is closed (its machine's counters go with it). */
    private static final class WatchedLab implements Lab {
        private final Lab lab;
        private final Watched watched;

        WatchedLab(Lab lab, Watched watched) {
            this.lab = lab;
            this.watched = watched;
        }

        @Override
        public DetachedMachine machine() {
            return lab.machine();
        }

        @Override
        public IommuService iommu() {
            return lab.iommu();
        }

        @Override
        public DmaApi dma() {
            return lab.dma();
        }

        @Override
        public void close() {
            synchronized (watched) {
                if (watched.finalState == null) {
                    watched.close();
                }
            }
            lab.close();
        }
    }

    /**
     * Takes the sanitizer states a shell session's comparisons left ({@value #COMPARE_VARIABLE}),
     * to be checked after the test: each backend ran with the sanitizer on, without a finding, and
     * checked transactions unless it is one of {@code stopped}.
     *
     * @param what    the command, for the failure message
     * @param stopped backends the test expects to stop before any DMA
     */
    @SuppressWarnings("unchecked")
    void compared(String what, Object sessionVariable, Collection<String> stopped) {
        if (!(sessionVariable instanceof List<?> list)) {
            throw new AssertionError(what + ": no comparison left its sanitizer states in " + COMPARE_VARIABLE + ": "
                    + sessionVariable);
        }
        for (Object states : list) {
            compared.add(new Compared(what, (Map<String, SanitizerDTO>) states, stopped));
        }
    }

    /**
     * Asserts that {@code core}'s sanitizer found exactly these findings (by kind) since it was last
     * cleared, then clears them and starts counting again: how a test that injects a bug on purpose
     * accounts for what it found (clearing the sanitizer by hand would also reset the transactions
     * this rule checks against the models' counters).
     */
    void expect(IommuService core, Map<String, Long> byKind) {
        SanitizerDTO s = core.sanitizer();
        if (!new TreeMap<>(byKind).equals(s.findings())) {
            throw new AssertionError("expected sanitizer findings " + new TreeMap<>(byKind) + ", found " + s.tally()
                    + describe(s, 0));
        }
        core.clearSanitizer();
        for (Watched w : watched()) {
            if (w.core == core) {
                w.rebaseline();
            }
        }
    }

    private List<Watched> watched() {
        List<Watched> all = new ArrayList<>();
        if (registered != null) {
            all.add(registered);
        }
        synchronized (labs) {
            all.addAll(labs);
        }
        return all;
    }

    // ---------------------------------------------------------------- the checks

    private void verify() {
        List<String> problems = new ArrayList<>();
        Watched now = registeredCore();
        if (now != null) {
            if (registered == null || registered.core != now.core || registered.machine != now.machine) {
                // booted (or replaced) during the test: everything it counted happened since
                now.fromZero();
            } else {
                now = registered;
            }
            check(now, now.core.sanitizer(), translated(now.machine), problems);
        }
        synchronized (labs) {
            for (Watched w : labs) {
                synchronized (w) {
                    if (w.finalState == null) {
                        w.close(); // left open by the test
                    }
                }
                check(w, w.finalState, w.finalTranslated, problems);
            }
        }
        for (Compared c : compared) {
            c.states().forEach((backend, s) -> {
                String name = "comparison '" + c.what() + "', backend " + backend;
                if (s == null) {
                    if (!c.stopped().contains(backend)) {
                        problems.add(name + ": ran without the sanitizer");
                    }
                    return;
                }
                checkState(name, s, 0, 0, problems);
                if (s.transactions() == 0 && !c.stopped().contains(backend)) {
                    problems.add(name + ": the sanitizer checked no transaction");
                }
            });
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("DMA sanitizer: " + String.join("\n", problems));
        }
    }

    private static void check(Watched w, SanitizerDTO s, Map<String, Long> translatedNow, List<String> problems) {
        checkState(w.name, s, w.findings, w.lastSeq, problems);
        long translated = since(w.translated, translatedNow);
        long checked = s.transactions() - w.transactions;
        if (checked < translated) {
            problems.add(String.format("%s: the sanitizer checked %d transactions, but the IOMMU models translated %d "
                    + "(IOTLB hits + misses - faults, by IOMMU: %s): it was not watching the bus (or was cleared without "
                    + "SanitizerCheck.expect)", w.name, checked, translated, translatedNow));
        }
    }

    /** The sanitizer is on and found nothing since the baseline ({@code before} findings, the last {@code lastSeq}). */
    private static void checkState(String name, SanitizerDTO s, long before, long lastSeq, List<String> problems) {
        if (!s.enabled()) {
            problems.add(name + ": the sanitizer is off (" + SANITIZE + "=true must turn it on from the boot)");
        }
        long found = s.total() >= before ? s.total() - before : s.total();
        if (found != 0) {
            problems.add(name + ": " + found + " finding(s) during the test; in all " + s.tally()
                    + describe(s, s.total() >= before ? lastSeq : 0));
        }
    }

    /** @return the last findings after {@code afterSeq}, one line each */
    private static String describe(SanitizerDTO s, long afterSeq) {
        StringBuilder sb = new StringBuilder();
        List<SanitizerFindingDTO> h = s.history().stream().filter(f -> f.seq() > afterSeq).toList();
        for (SanitizerFindingDTO f : h.subList(Math.max(0, h.size() - LISTED), h.size())) {
            sb.append("\n  #").append(f.seq()).append(' ').append(f.line());
        }
        return sb.toString();
    }

    /** @return the registered core and machine with their counts now, or null if none is registered */
    private static Watched registeredCore() {
        BundleContext ctx = FrameworkUtil.getBundle(SanitizerCheck.class).getBundleContext();
        IommuService core = service(ctx, IommuService.class);
        Machine m = service(ctx, Machine.class);
        return core == null || m == null ? null : new Watched("the registered core (" + m.deviceTree().source() + ")", core, m);
    }

    /**
     * @return the service, or null. Kept (never ungot), as {@link Container#service} does: the last
     *         user's unget would deactivate a delayed component and start a new core.
     */
    private static <T> T service(BundleContext ctx, Class<T> type) {
        ServiceReference<T> ref = ctx.getServiceReference(type);
        return ref == null ? null : ctx.getService(ref);
    }

    /**
     * @return per IOMMU of the machine with a model, the translations that succeeded so far: IOTLB
     *         hits plus misses (every translated transaction looks up the IOTLB once) minus faults
     */
    static Map<String, Long> translated(Machine m) {
        Map<String, Long> out = new TreeMap<>();
        for (IommuHardware h : m.iommuHardware()) {
            if (h.model() == null) {
                continue;
            }
            Map<String, Long> c;
            try {
                c = m.hardwareCounters(h.node().path());
            } catch (RuntimeException e) {
                continue; // unplugged meanwhile
            }
            if (c.containsKey(HITS) && c.containsKey(MISSES) && c.containsKey(FAULTS)) {
                out.put(h.node().path(), c.get(HITS) + c.get(MISSES) - c.get(FAULTS));
            }
        }
        return out;
    }

    /** @return translations since {@code before}; a model counting less than before was plugged in again, from 0 */
    private static long since(Map<String, Long> before, Map<String, Long> now) {
        long sum = 0;
        for (Map.Entry<String, Long> e : now.entrySet()) {
            long b = before.getOrDefault(e.getKey(), 0L);
            sum += Math.max(0, e.getValue() >= b ? e.getValue() - b : e.getValue());
        }
        return sum;
    }
}
