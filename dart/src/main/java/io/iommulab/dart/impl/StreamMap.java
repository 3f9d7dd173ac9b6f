package io.iommulab.dart.impl;

import io.iommulab.dart.impl.hw.SidMap;

/**
 * struct apple_dart_stream_map: one DART and the streams a master (or a group) uses on it.
 *
 * <p>Fields: {@code dart} the DART; {@code sidmap} 256-bit SID bitmap. A master's maps are written
 * by of_xlate before probe_device and only read afterwards; a group's copy is changed only under
 * {@link AppleDartDriver#GROUPS_LOCK}.
 */
final class StreamMap {

    final DartInstance dart;
    final long[] sidmap;

    StreamMap(DartInstance dart, long[] sidmap) {
        this.dart = dart;
        this.sidmap = sidmap;
    }

    StreamMap copy() {
        return new StreamMap(dart, sidmap.clone());
    }

    /** @return the first SID of this map at or after {@code from} that the DART has, or -1 */
    int next(int from) {
        return SidMap.next(sidmap, from, dart.numStreams());
    }

    @Override
    public String toString() {
        return dart.node() + " streams " + SidMap.toText(sidmap, 256);
    }
}
