package io.iommulab.machine.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Placing and deleting keeps every entry reachable from its home slot, clusters wrapping round included. */
class LinearProbingTest {

    /** A key whose hash is chosen by the test, so clusters and wrap-around are forced. */
    record Key(int id, int hash) {
    }

    private static int find(Key[] t, Key k) {
        int mask = t.length - 1;
        for (int i = k.hash() & mask;; i = (i + 1) & mask) {
            if (t[i] == null) {
                return -1;
            }
            if (t[i].equals(k)) {
                return i;
            }
        }
    }

    @Test
    void deletingFromAWrappedClusterMovesTheRightEntriesBack() {
        Key[] t = new Key[8];
        Key a = new Key(1, 6);
        Key b = new Key(2, 7);
        Key c = new Key(3, 6); // probes 6, 7, lands in 0: the cluster wraps
        Key d = new Key(4, 0); // home 0 is taken: lands in 1
        for (Key k : List.of(a, b, c, d)) {
            LinearProbing.place(t, k, k.hash());
        }
        assertEquals(0, find(t, c));
        assertEquals(1, find(t, d));
        LinearProbing.delete(t, find(t, a), Key::hash);
        assertEquals(6, find(t, c), "c moves back to its home");
        assertEquals(7, find(t, b), "b stays: its home is 7");
        assertEquals(0, find(t, d), "d moves back to its home");
        assertNull(t[1]);
        assertEquals(-1, find(t, a));
    }

    @Test
    void randomPlacesAndDeletesKeepEveryLiveKeyFindable() {
        Random r = new Random(42);
        for (int round = 0; round < 200; round++) {
            Key[] t = new Key[16];
            List<Key> live = new ArrayList<>();
            for (int n = 0; n < 200; n++) {
                if (live.size() < 8 && (live.isEmpty() || r.nextBoolean())) {
                    Key k = new Key(n, r.nextInt(4) + 12); // four homes near the end: long wrapping clusters
                    LinearProbing.place(t, k, k.hash());
                    live.add(k);
                } else {
                    Key k = live.remove(r.nextInt(live.size()));
                    LinearProbing.delete(t, find(t, k), Key::hash);
                    assertEquals(-1, find(t, k));
                }
                for (Key k : live) {
                    assertEquals(k, t[find(t, k)], "round " + round + " step " + n);
                }
                assertEquals(live.size(), java.util.Arrays.stream(t).filter(x -> x != null).count());
            }
        }
    }
}
