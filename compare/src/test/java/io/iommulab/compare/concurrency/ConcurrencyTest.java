package io.iommulab.compare.concurrency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.iommulab.api.DomainType;
import io.iommulab.api.dt.DeviceTree;
import io.iommulab.compare.concurrency.ConcurrencyRun.Mode;
import io.iommulab.compare.concurrency.ConcurrencyRun.Report;
import io.iommulab.compare.concurrency.ConcurrencyRun.Target;
import io.iommulab.compare.run.Stack;
import io.iommulab.machine.dt.DeviceTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Concurrency through the whole stack (issue 14, part 4): on each DART variant of the concurrency
 * board and on the SMMU of its twin (with a DMA and a DMA-FQ domain), 8 threads map and unmap disjoint ranges of ONE domain
 * (iommu_map/unmap and the DMA API) while every master attached to it does DMA and a master of
 * another domain probes its IOVAs (see {@link ConcurrencyRun}). 0 corruptions, 0 wrong faults, 0
 * uses after unmap, 0 escapes, 0 findings of the DMA sanitizer, the tables and the hardware equal
 * to the oracle, and every table page back at the end.
 *
 * <p>Bounded and seeded: the seed is in the test's name and in the log line of each run. A long run
 * by hand: {@code -Diommulab.concurrency.ops=N} (operations per mapper, default {@value #CI_OPS}),
 * {@code -Diommulab.concurrency.seed=S} (added to every case's seed), {@code
 * -Diommulab.concurrency.rounds=R} (runs per case, seeds S, S+1, ...), {@code
 * -Diommulab.concurrency.only=TEXT} (the cases whose name and mode contain TEXT, e.g. "t8110 RACING", "twin-fq"), e.g.
 * {@code mvn -o -q verify -pl compare -am -Dtest=ConcurrencyTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Diommulab.concurrency.ops=200000}; or {@link ConcurrencyMain} outside JUnit.
 */
class ConcurrencyTest {

    static final int CI_OPS = 1500;
    static final String BOARD = "boards/iommulab-concurrency.dts";
    /**
     * Every DART variant of the board, the SMMU of its twin, and the SMMU with a flush-queue domain
     * (upstream apple-dart never gets one: it does not claim deferred flush).
     */
    static final List<Target> TARGETS = List.of(
            new Target("apple-dart", "/soc/iommu@300000000", "t8103", DomainType.DMA),
            new Target("apple-dart", "/soc/iommu@310000000", "t8110", DomainType.DMA),
            new Target("apple-dart", "/soc/iommu@320000000", "usb4", DomainType.DMA),
            new Target("arm-smmu-v2", "/soc/iommu@300000000", "twin", DomainType.DMA),
            new Target("arm-smmu-v2", "/soc/iommu@300000000", "twin-fq", DomainType.DMA_FQ));

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        long extra = Long.getLong("iommulab.concurrency.seed", 0L);
        String only = System.getProperty("iommulab.concurrency.only", "");
        int i = 0;
        for (Target t : TARGETS) {
            for (Mode mode : Mode.values()) {
                long seed = 0xC0C0_0000L + 16 * i++ + extra;
                if ((t + " " + mode).contains(only)) {
                    out.add(Arguments.of(t, mode, Long.toHexString(seed)));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} seed=0x{2}")
    @MethodSource("cases")
    void eightMappersOneDomainEveryMasterDoingDma(Target target, Mode mode, String seedHex) {
        int ops = Integer.getInteger("iommulab.concurrency.ops", CI_OPS);
        int rounds = Integer.getInteger("iommulab.concurrency.rounds", 1);
        Stack stack = Stack.dartAndSmmu();
        ConcurrencyRun run = new ConcurrencyRun(stack.machines(), stack.labs);
        DeviceTree board = DeviceTrees.parse(BOARD, board());
        for (int round = 0; round < rounds; round++) {
            Report r = run.run(board, target, mode, Long.parseLong(seedHex, 16) + round, ops);
            System.out.println("[concurrency] " + r);
            assertEquals(0, r.failureCount(), r.toString());
            assertTrue(r.counts().getOrDefault("dma", 0L) > 0, "the masters did DMA: " + r);
            assertTrue(r.counts().getOrDefault("probe", 0L) > 0, "the prober probed: " + r);
            assertTrue(r.counts().getOrDefault("iommu_map", 0L) > 0 && r.counts().getOrDefault("dma_map_sg", 0L) > 0,
                    "iommu_map and the DMA API both ran: " + r);
            if (mode == Mode.LEASED) {
                assertEquals(0, r.sanitizer().total(), r.sanitizer().tally() + " " + r.sanitizer().history());
                assertTrue(r.sanitizer().transactions() > 0, "the sanitizer checked transactions: " + r);
            }
        }
    }

    /**
     * The harness sees what it is for: with the driver's invalidations skipped (the injected bug
     * {@code skip-invalidate}), IOTLB entries outlive their unmaps and the masters get through
     * pages the oracle says are not mapped; in the leased run the sanitizer reports the stale hits.
     */
    @ParameterizedTest(name = "{0} {1} seed=0x{2}")
    @MethodSource("cases")
    void skippedInvalidationsAreCaught(Target target, Mode mode, String seedHex) {
        Stack stack = Stack.dartAndSmmu();
        int rounds = Integer.getInteger("iommulab.concurrency.rounds", 1);
        for (int round = 0; round < rounds; round++) {
            Report r = new ConcurrencyRun(stack.machines(), stack.labs).run(DeviceTrees.parse(BOARD, board()), target, mode,
                    Long.parseLong(seedHex, 16) + round, 500, "skip-invalidate");
            System.out.println("[concurrency] skip-invalidate: " + r);
            assertTrue(r.failures().getOrDefault(Tally.USE_AFTER_UNMAP, 0L) > 0, r.toString());
            assertEquals(0, r.failures().getOrDefault(Tally.API, 0L) + r.failures().getOrDefault(Tally.EXCEPTION, 0L),
                    "map, unmap and the DMA API do what they must: " + r);
            if (mode == Mode.LEASED) {
                assertTrue(r.sanitizer().findings().getOrDefault("stale-translation", 0L) > 0, r.sanitizer().tally());
            }
        }
    }

    static byte[] board() {
        try (InputStream in = ConcurrencyTest.class.getClassLoader().getResourceAsStream(BOARD)) {
            if (in == null) {
                throw new IllegalStateException(BOARD + " is not on the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
