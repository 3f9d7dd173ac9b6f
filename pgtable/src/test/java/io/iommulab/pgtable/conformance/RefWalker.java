package io.iommulab.pgtable.conformance;

import io.iommulab.api.Prot;
import io.iommulab.api.machine.PhysicalMemory;
import io.iommulab.api.pgtable.PageTableFormat;
import io.iommulab.api.pgtable.PageTableState;

/**
 * The oracle: an independent reading of the tables in memory, written from the fact sheet
 * (dart-facts.md §2.1/2.2 for DART1/DART2, §4.4 for LPAE stage 1), sharing no code with the formats.
 * It walks from {@link PageTableState#ttbrs()} exactly as the hardware models do, counts tables and
 * leaves (generic_pt kunit's count_valids), and composes the leaf entry a format must write.
 */
final class RefWalker {

    enum Kind { DART1, DART2, LPAE_S1 }

    /** A leaf found by the walk. */
    record Leaf(long entry, long entryPa, int level, long size, long pa) {
    }

    /** What the whole table holds. */
    record Census(long tables, long leaves) {
    }

    final Kind kind;
    final PhysicalMemory memory;
    final long[] ttbrs;
    final int ias;
    final int pgShift;
    final int bpl;
    /** DART: table levels below the TTBR (L); LPAE: levels walked */
    final int tableLevels;
    /** DART: log2 n_ttbrs */
    final int tblBits;
    /** LPAE: first level (4 - levels) */
    final int startLevel;

    RefWalker(PhysicalMemory memory, PageTableState state) {
        this.kind = kindOf(state.format());
        this.memory = memory;
        this.ttbrs = state.ttbrs();
        this.ias = state.config().ias();
        this.pgShift = Long.numberOfTrailingZeros(state.config().pgsizeBitmap());
        this.bpl = pgShift - 3;
        if (kind == Kind.LPAE_S1) {
            this.tableLevels = lpaeLevels(ias, pgShift);
            this.startLevel = 4 - tableLevels;
            this.tblBits = 0;
        } else {
            this.tableLevels = dartTableLevels(ias, pgShift);
            this.tblBits = Math.max(0, (ias - pgShift) - tableLevels * bpl);
            this.startLevel = 0;
        }
    }

    static Kind kindOf(String format) {
        return switch (format) {
            case PageTableFormat.APPLE_DART -> Kind.DART1;
            case PageTableFormat.APPLE_DART2 -> Kind.DART2;
            case PageTableFormat.ARM_LPAE_S1 -> Kind.LPAE_S1;
            default -> throw new AssertionError("no reference walker for format " + format);
        };
    }

    /** DART §2.1: L = max(2, ceil((va_bits - max_tbl_bits) / bpl)); max_tbl_bits 2 for 4K, 0 for 16K. */
    static int dartTableLevels(int ias, int pgShift) {
        int bpl = pgShift - 3;
        int vaBits = ias - pgShift;
        int maxTblBits = pgShift == 12 ? 2 : 0;
        return Math.max(2, ceilDiv(vaBits - maxTblBits, bpl));
    }

    /** LPAE §4.4: levels = ceil((IAS - granule shift) / bits per level). */
    static int lpaeLevels(int ias, int pgShift) {
        return ceilDiv(ias - pgShift, pgShift - 3);
    }

    private static int ceilDiv(int a, int b) {
        return a <= 0 ? 0 : (a + b - 1) / b;
    }

    /** n_levels as Linux reports it: DART counts the TTBR as a level; LPAE the levels walked. */
    int reportedLevels() {
        return kind == Kind.LPAE_S1 ? tableLevels : tableLevels + 1;
    }

    int expectedTtbrs() {
        return kind == Kind.LPAE_S1 ? 1 : 1 << tblBits;
    }

    /** @return the PA a table entry points to */
    long tableAddress(long entry) {
        return switch (kind) {
            case DART1 -> entry & genmask(35, 12);
            case DART2 -> (entry & genmask(37, 10)) << 4;
            case LPAE_S1 -> entry & genmask(47, pgShift);
        };
    }

    /** @return the leaf at {@code iova}, or null when the walk finds nothing */
    Leaf walk(long iova) {
        return kind == Kind.LPAE_S1 ? walkLpae(iova) : walkDart(iova);
    }

    /** @return iova_to_phys as the hardware would compute it (0 when unmapped) */
    long translate(long iova) {
        Leaf l = walk(iova);
        return l == null ? 0 : l.pa() | (iova & (l.size() - 1));
    }

    private Leaf walkDart(long iova) {
        int topShift = pgShift + tableLevels * bpl;
        long ttbrIdx = iova >>> topShift;
        if (ttbrIdx >= ttbrs.length) {
            return null;
        }
        long table = ttbrs[(int) ttbrIdx];
        for (int k = tableLevels; k >= 1; k--) {
            int shift = pgShift + (k - 1) * bpl;
            long idx = (iova >>> shift) & ((1L << bpl) - 1);
            long entryPa = table + 8 * idx;
            long e = memory.read64(entryPa);
            // DART walks test "entry != 0", not the VALID bit (§2.3).
            if (e == 0) {
                return null;
            }
            if (k == 1) {
                long pa = kind == Kind.DART1 ? e & genmask(35, 12) : (e & genmask(37, 10)) << 4;
                return new Leaf(e, entryPa, 1, 1L << pgShift, pa);
            }
            table = tableAddress(e);
        }
        throw new AssertionError("unreachable");
    }

    private Leaf walkLpae(long iova) {
        if ((iova >>> ias) != 0) {
            return null;
        }
        long table = ttbrs[0];
        for (int lvl = startLevel; lvl <= 3; lvl++) {
            int shift = pgShift + (3 - lvl) * bpl;
            int bits = lvl == startLevel ? ias - shift : bpl;
            long idx = (iova >>> shift) & ((1L << bits) - 1);
            long entryPa = table + 8 * idx;
            long e = memory.read64(entryPa);
            int type = (int) (e & 3);
            if (type == 0 || type == 2) {
                return null;
            }
            if (lvl == 3) {
                if (type != 3) {
                    return null; // 0b01 at level 3 is reserved: the walker faults
                }
                return new Leaf(e, entryPa, 3, 1L << shift, e & genmask(47, pgShift));
            }
            if (type == 1) {
                return new Leaf(e, entryPa, lvl, 1L << shift, e & genmask(47, shift));
            }
            table = e & genmask(47, pgShift);
        }
        throw new AssertionError("unreachable");
    }

    /** @return the table entries (not the leaf) met on the way to {@code iova}: {entryPa, entry} pairs */
    java.util.List<long[]> tablePath(long iova) {
        java.util.List<long[]> out = new java.util.ArrayList<>();
        if (kind == Kind.LPAE_S1) {
            long table = ttbrs[0];
            for (int lvl = startLevel; lvl < 3; lvl++) {
                int shift = pgShift + (3 - lvl) * bpl;
                int bits = lvl == startLevel ? ias - shift : bpl;
                long entryPa = table + 8 * ((iova >>> shift) & ((1L << bits) - 1));
                long e = memory.read64(entryPa);
                if ((e & 3) != 3) {
                    break;
                }
                out.add(new long[] {entryPa, e});
                table = e & genmask(47, pgShift);
            }
            return out;
        }
        long table = ttbrs[(int) (iova >>> (pgShift + tableLevels * bpl))];
        for (int k = tableLevels; k > 1; k--) {
            int shift = pgShift + (k - 1) * bpl;
            long entryPa = table + 8 * ((iova >>> shift) & ((1L << bpl) - 1));
            long e = memory.read64(entryPa);
            if (e == 0) {
                break;
            }
            out.add(new long[] {entryPa, e});
            table = tableAddress(e);
        }
        return out;
    }

    /** @return the table entry a format must write for a next-level table at {@code tablePa} */
    long expectedTableEntry(long tablePa) {
        return switch (kind) {
            case DART1 -> (tablePa & genmask(35, 12)) | 1L;
            case DART2 -> ((tablePa >>> 4) & genmask(37, 10)) | 1L;
            case LPAE_S1 -> (tablePa & genmask(47, 12)) | 3L;
        };
    }

    /** Walks every table from the roots: how many tables are reachable and how many leaves are valid. */
    Census census() {
        long[] acc = new long[2];
        if (kind == Kind.LPAE_S1) {
            censusLpae(ttbrs[0], startLevel, acc);
        } else {
            for (long t : ttbrs) {
                censusDart(t, tableLevels, acc);
            }
        }
        return new Census(acc[0], acc[1]);
    }

    private void censusDart(long table, int k, long[] acc) {
        acc[0]++;
        long n = 1L << bpl;
        for (long i = 0; i < n; i++) {
            long e = memory.read64(table + 8 * i);
            if (e == 0) {
                continue;
            }
            if (k == 1) {
                acc[1]++;
            } else {
                censusDart(tableAddress(e), k - 1, acc);
            }
        }
    }

    private void censusLpae(long table, int lvl, long[] acc) {
        acc[0]++;
        int shift = pgShift + (3 - lvl) * bpl;
        int bits = lvl == startLevel ? ias - shift : bpl;
        long n = 1L << bits;
        for (long i = 0; i < n; i++) {
            long e = memory.read64(table + 8 * i);
            int type = (int) (e & 3);
            if (type == 0 || type == 2) {
                continue;
            }
            if (lvl == 3 || type == 1) {
                acc[1]++;
            } else {
                censusLpae(e & genmask(47, pgShift), lvl + 1, acc);
            }
        }
    }

    /** @return the leaf entry the format must write for (pa, prot) at a leaf of {@code level} */
    long expectedLeaf(long pa, int prot, int level) {
        return expectedLeaf(kind, pa, prot, level);
    }

    static long expectedLeaf(Kind kind, long pa, int prot, int level) {
        boolean r = (prot & Prot.READ) != 0;
        boolean w = (prot & Prot.WRITE) != 0;
        long subpageEnd = 0xFFFL << 40; // SUBPAGE_END = 0xFFF, SUBPAGE_START = 0: the whole page
        switch (kind) {
            case DART1: {
                long e = 1L | (1L << 1) | (pa & genmask(35, 12)) | subpageEnd;
                if (!w) {
                    e |= 1L << 7;
                }
                if (!r) {
                    e |= 1L << 8;
                }
                return e;
            }
            case DART2: {
                long e = 1L | ((pa >>> 4) & genmask(37, 10)) | subpageEnd;
                if ((prot & Prot.CACHE) == 0) {
                    e |= 1L << 1;
                }
                if (!w) {
                    e |= 1L << 2;
                }
                if (!r) {
                    e |= 1L << 3;
                }
                return e;
            }
            default: {
                long e = level == 3 ? 3L : 1L;
                e |= 1L << 11; // nG
                e |= 1L << 10; // AF
                if (r && !w) {
                    e |= 1L << 7; // AP[2] read-only
                }
                if ((prot & Prot.PRIV) == 0) {
                    e |= 1L << 6; // AP[1] unprivileged
                }
                if ((prot & Prot.MMIO) != 0) {
                    e |= 2L << 2; // AttrIndx 2: device
                } else if ((prot & Prot.CACHE) != 0) {
                    e |= 1L << 2; // AttrIndx 1: write-back cacheable
                }
                e |= (prot & Prot.CACHE) != 0 ? 3L << 8 : 2L << 8; // SH inner / outer
                if ((prot & Prot.NOEXEC) != 0) {
                    e |= 3L << 53; // XN
                }
                return e | (pa & genmask(47, 12));
            }
        }
    }

    static long genmask(int hi, int lo) {
        long m = hi >= 63 ? -1L : (1L << (hi + 1)) - 1;
        return m & -(1L << lo);
    }
}
