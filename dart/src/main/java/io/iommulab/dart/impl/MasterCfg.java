package io.iommulab.dart.impl;

import io.iommulab.dart.spi.DartHw;
import io.iommulab.klib.Bitmap;

/**
 * struct apple_dart_master_cfg (dart-facts §3.1, review point "two DART pointers and two bitmaps"):
 * a fixed array of {@link #MAX_DARTS_PER_DEVICE} stream maps, filled from slot 0 without gaps, plus
 * whether every DART of the master can bypass. Kept as the master's private data (dev_iommu_priv),
 * and copied as the group's data (iommu_group_set_iommudata).
 *
 * <p>Fields: {@code maps} the slots (null = free); {@code supportsBypass} AND of the DARTs' bypass
 * support, true until the first of_xlate.
 */
final class MasterCfg {

    /** MAX_DARTS_PER_DEVICE: 3 since 2025 (ISP), was 2 */
    static final int MAX_DARTS_PER_DEVICE = 3;

    final StreamMap[] maps = new StreamMap[MAX_DARTS_PER_DEVICE];
    boolean supportsBypass = true;

    /** @return the number of used slots (for_each_stream_map stops at the first free one) */
    int count() {
        int n = 0;
        while (n < MAX_DARTS_PER_DEVICE && maps[n] != null) {
            n++;
        }
        return n;
    }

    /** @return the DART of slot {@code i}, or null */
    DartInstance dart(int i) {
        return maps[i] != null ? maps[i].dart : null;
    }

    /** @return the slot holding {@code dart}, else the first free slot, else -1 */
    int slotFor(DartInstance dart) {
        for (int i = 0; i < MAX_DARTS_PER_DEVICE; i++) {
            if (maps[i] != null && maps[i].dart == dart) {
                return i;
            }
        }
        for (int i = 0; i < MAX_DARTS_PER_DEVICE; i++) {
            if (maps[i] == null) {
                return i;
            }
        }
        return -1;
    }

    /** Adds {@code sid} of {@code dart} in slot {@code slot} (from {@link #slotFor}). */
    void add(int slot, DartInstance dart, int sid) {
        if (maps[slot] == null) {
            maps[slot] = new StreamMap(dart, Bitmap.zalloc(DartHw.MAX_STREAMS));
        }
        Bitmap.set(maps[slot].sidmap, sid);
    }

    /** kmemdup of the whole configuration */
    MasterCfg copy() {
        MasterCfg c = new MasterCfg();
        for (int i = 0; i < MAX_DARTS_PER_DEVICE; i++) {
            c.maps[i] = maps[i] != null ? maps[i].copy() : null;
        }
        c.supportsBypass = supportsBypass;
        return c;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count(); i++) {
            sb.append(i == 0 ? "" : ", ").append(maps[i]);
        }
        return sb.toString();
    }
}
