package io.iommulab.compare.concurrency;

import io.iommulab.api.Prot;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.machine.DmaMaster;
import io.iommulab.api.machine.DmaResult;
import io.iommulab.api.machine.PhysicalMemory;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A master doing DMA without pause until told to stop: each transfer picks a page of the windows
 * (mostly a mapped one), writes a fresh pattern to its own slot of the page on one of its streams
 * and reads it back, and checks the outcome against the oracle: through a page mapped for the
 * whole transfer the data must be the pattern, on the bus and in the memory the page maps; a
 * fault only where the page's rights refuse the access; through a page that was not mapped for the
 * whole transfer, nothing may get through. Every agent has a slot of its own in every page (no
 * other agent writes there), so what it reads is only ever its own data.
 *
 * <p>A prober is a master of another domain: every transfer it makes into the windows must fault.
 */
final class Agent implements Runnable {

    /** slots per page: the agents of a domain and the prober each have one */
    static final int SLOTS = 8;

    private final String name;
    private final DmaMaster master;
    private final int slot;
    private final boolean prober;
    private final boolean racing;
    private final Oracle oracle;
    private final Layout layout;
    private final PhysicalMemory memory;
    private final Tally tally;
    private final SplittableRandom rng;
    private final AtomicBoolean stop;
    private final int slotSize;

    Agent(DmaMaster master, int slot, boolean prober, boolean racing, Oracle oracle, Layout layout, PhysicalMemory memory,
            Tally tally, long seed, AtomicBoolean stop) {
        this.name = (prober ? "prober " : "agent ") + master.name();
        this.master = master;
        this.slot = slot;
        this.prober = prober;
        this.racing = racing;
        this.oracle = oracle;
        this.layout = layout;
        this.memory = memory;
        this.tally = tally;
        this.rng = new SplittableRandom(seed);
        this.stop = stop;
        this.slotSize = (int) (layout.granule / SLOTS);
    }

    @Override
    public void run() {
        try {
            while (!stop.get()) {
                transfer();
            }
        } catch (RuntimeException | Error e) {
            tally.trace(e);
            tally.fail(Tally.EXCEPTION, name + ": " + e);
            throw e;
        }
    }

    /**
     * @return a page to use: when racing, often the one a mapper is changing; else one of the
     *         windows at random (mostly not mapped), or of four mapped not long ago the first one
     *         still mapped (a hint, read without a lease)
     */
    private int pick() {
        if (racing && rng.nextInt(4) == 0) {
            return oracle.hot();
        }
        if (rng.nextInt(4) == 0) {
            return rng.nextInt(oracle.pages());
        }
        int p = oracle.recent(rng.nextInt());
        for (int i = 0; i < 3 && oracle.stateOf(p) != Oracle.MAPPED; i++) {
            p = oracle.recent(rng.nextInt());
        }
        return p;
    }

    private void transfer() {
        int p = pick();
        int stream = rng.nextInt(master.streams().size());
        int len = rng.nextInt(4) == 0 ? 1 + rng.nextInt(slotSize) : 1 + rng.nextInt(64);
        int off = slot * slotSize + rng.nextInt(slotSize - len + 1);
        long iova = oracle.iova(p) + off;
        byte[] pattern = new byte[len];
        rng.nextBytes(pattern);
        if (prober) {
            DmaResult r = rng.nextBoolean() ? master.write(stream, iova, pattern) : master.read(stream, iova, len);
            tally.count("probe");
            if (r.ok()) {
                tally.fail(Tally.ESCAPE, String.format("%s stream %d got through at IOVA 0x%x of the other domain", name, stream,
                        iova));
            }
            return;
        }
        long before = racing ? oracle.snapshot(p) : oracle.tryLease(p);
        if (before == -1) {
            return; // a mapper is changing it; a device would not touch it now either
        }
        try {
            int state = Oracle.state(before);
            if (state == Oracle.UNKNOWN) {
                return; // released by the DMA API: any thread's allocation may take it now
            }
            long pa = oracle.pa(p) + off;
            int prot = oracle.prot(p);
            byte[] held = state == Oracle.MAPPED ? read(pa, len) : null;
            DmaResult w = master.write(stream, iova, pattern);
            DmaResult r = master.read(stream, iova, len);
            byte[] after = state == Oracle.MAPPED ? read(pa, len) : null;
            if (racing && !Oracle.stable(before, oracle.snapshot(p))) {
                tally.count("dma unjudged");
                return;
            }
            tally.count("dma");
            judge(p, iova, stream, state, prot, pattern, held, after, w, r);
        } finally {
            if (!racing) {
                oracle.unlease(p);
            }
        }
    }

    /**
     * @return what memory holds at {@code pa}; null when it is no RAM, which only a racing agent can
     *         see (it read the address of a page a mapper was changing: the transfer is not judged)
     */
    private byte[] read(long pa, int len) {
        byte[] b = new byte[len];
        try {
            memory.read(pa, b, 0, len);
        } catch (IommuException e) {
            if (!racing) {
                throw e;
            }
            return null;
        }
        return b;
    }

    private void judge(int p, long iova, int stream, int state, int prot, byte[] pattern, byte[] held, byte[] after,
            DmaResult w, DmaResult r) {
        String where = String.format("%s stream %d, IOVA 0x%x (page %s)", name, stream, iova,
                state == Oracle.MAPPED ? String.format("mapped to 0x%x %s", oracle.pa(p), rights(prot)) : "not mapped");
        if (state != Oracle.MAPPED) {
            if (w.ok() || r.ok()) {
                tally.fail(Tally.USE_AFTER_UNMAP, where + ": " + (w.ok() ? "the write" : "the read") + " got through");
            } else {
                tally.count("fault unmapped");
            }
            return;
        }
        boolean canRead = (prot & Prot.READ) != 0;
        boolean canWrite = (prot & Prot.WRITE) != 0;
        check(where, "write", w, canWrite);
        check(where, "read", r, canRead);
        if (canWrite && w.ok() && !Arrays.equals(after, pattern)) {
            tally.fail(Tally.CORRUPTION, where + ": memory holds " + hex(after) + " after writing " + hex(pattern));
        } else if (!canWrite && !Arrays.equals(after, held)) {
            tally.fail(Tally.CORRUPTION, where + ": a refused write changed memory from " + hex(held) + " to " + hex(after));
        }
        if (canRead && r.ok()) {
            byte[] want = canWrite ? pattern : held;
            if (!Arrays.equals(r.data(), want)) {
                tally.fail(Tally.CORRUPTION, where + ": read " + hex(r.data()) + ", memory held " + hex(want));
            }
        }
    }

    private void check(String where, String what, DmaResult x, boolean allowed) {
        if (allowed && !x.ok()) {
            tally.fail(Tally.WRONG_FAULT, where + ": the " + what + " faulted: " + x.fault());
        } else if (!allowed && x.ok()) {
            tally.fail(Tally.USE_AFTER_UNMAP, where + ": the " + what + " got through, which the rights refuse");
        }
    }

    private static String rights(int prot) {
        return ((prot & Prot.READ) != 0 ? "r" : "") + ((prot & Prot.WRITE) != 0 ? "w" : "");
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(b.length, 16); i++) {
            s.append(String.format("%02x", b[i]));
        }
        return s + (b.length > 16 ? "..(" + b.length + " bytes)" : "");
    }
}
