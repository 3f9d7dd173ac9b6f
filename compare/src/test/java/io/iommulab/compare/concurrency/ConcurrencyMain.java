package io.iommulab.compare.concurrency;

import io.iommulab.compare.concurrency.ConcurrencyRun.Mode;
import io.iommulab.compare.concurrency.ConcurrencyRun.Report;
import io.iommulab.compare.concurrency.ConcurrencyRun.Target;
import io.iommulab.compare.run.Stack;
import io.iommulab.machine.dt.DeviceTrees;

/**
 * {@link ConcurrencyTest}'s runs by hand, outside JUnit, for long campaigns:
 * {@code java -cp <compare's test class path> io.iommulab.compare.concurrency.ConcurrencyMain
 * [ops per mapper] [rounds] [first seed (hex)] [case filter, e.g. "t8110 RACING"] [injection point]}.
 * Each round of each case is one line; the exit status is the number of rounds that failed.
 */
public final class ConcurrencyMain {

    private ConcurrencyMain() {
    }

    public static void main(String[] args) {
        int ops = args.length > 0 ? Integer.parseInt(args[0]) : ConcurrencyTest.CI_OPS;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        long seed = args.length > 2 ? Long.parseLong(args[2], 16) : 0xC0C0_0000L;
        String only = args.length > 3 ? args[3] : "";
        String inject = args.length > 4 ? args[4] : null;
        Stack stack = Stack.dartAndSmmu();
        ConcurrencyRun run = new ConcurrencyRun(stack.machines(), stack.labs);
        int failed = 0;
        long t0 = System.nanoTime();
        long mapperOps = 0;
        for (int round = 0; round < rounds; round++) {
            for (Target t : ConcurrencyTest.TARGETS) {
                for (Mode mode : Mode.values()) {
                    if (!(t + " " + mode).contains(only)) {
                        continue;
                    }
                    Report r = run.run(DeviceTrees.parse(ConcurrencyTest.BOARD, ConcurrencyTest.board()), t, mode, seed + round,
                            ops, inject);
                    mapperOps += (long) ops * ConcurrencyRun.MAPPERS;
                    boolean ok = r.failureCount() == 0 && (mode == Mode.RACING || r.sanitizer().total() == 0);
                    failed += ok ? 0 : 1;
                    System.out.println((ok ? "ok   " : "FAIL ") + r);
                }
            }
        }
        System.out.printf("%d mapper operations in %.1f s, %d failed run(s)%n", mapperOps, (System.nanoTime() - t0) / 1e9, failed);
        System.exit(Math.min(failed, 100));
    }
}
