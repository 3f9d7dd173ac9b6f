package io.iommulab.dart.impl;

import io.iommulab.dart.spi.DartHw;
import io.iommulab.klib.Bitmap;

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

    @Override
    public String toString() {
        return dart.node() + " streams " + Bitmap.toText(sidmap, DartHw.MAX_STREAMS);
    }
}
