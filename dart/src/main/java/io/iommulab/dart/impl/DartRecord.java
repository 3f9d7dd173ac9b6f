package io.iommulab.dart.impl;

import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.PreservedDomain;
import io.iommulab.api.driver.PreservedIommu;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.pgtable.PageTableState;
import io.iommulab.klib.Bitmap;
import io.iommulab.dart.spi.DartHw;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;

/**
 * The record one DART's driver hands to its next version in a live update: schema
 * {@value #SCHEMA}, version {@value #VERSION}. Layout:
 * <ul>
 * <li>{@code ias}, {@code oas}, {@code streams}: what probe read from PARAMS;</li>
 * <li>one {@link PreservedDomain} per domain running on a stream of this DART, with the streams
 * (SIDs of this DART) attached to it now: a paging domain with the core's id and type, its table's
 * {@code PageTableState} (format name, configuration, roots, levels) and format version
 * {@value #FORMAT_VERSION}; the static identity and blocked domains with id 0 (they are shared by
 * every group that uses them, so they have no id of their own), no table and format version 0;</li>
 * <li>a paging domain attached to no stream at all is recorded, with no streams, by the DART its
 * table was made for, so that a domain a user holds detached keeps its mappings too.</li>
 * </ul>
 * A stream no domain was attached to since probe is not recorded (the reset left it blocked).
 */
final class DartRecord {

    static final String SCHEMA = "apple-dart";
    static final int VERSION = 1;
    /** the DART table encodings (apple-dart, apple-dart2) as this driver knows them */
    static final int FORMAT_VERSION = 1;

    private DartRecord() {
    }

    /**
     * @param detached paging domains of the driver whose table was made for {@code dart} and that no
     *                 stream of any DART runs now
     * @return the record of {@code dart}
     */
    static PreservedIommu of(DartInstance dart, List<DartDomain> detached) {
        Map<DomainOps, long[]> streams = new IdentityHashMap<>();
        List<DomainOps> order = new ArrayList<>();
        for (int sid = 0; sid < dart.numStreams(); sid++) {
            DomainOps d = dart.attachedTo(sid);
            if (d != null) {
                if (!streams.containsKey(d)) {
                    streams.put(d, Bitmap.zalloc(DartHw.MAX_STREAMS));
                    order.add(d);
                }
                Bitmap.set(streams.get(d), sid);
            }
        }
        List<PreservedDomain> out = new ArrayList<>();
        for (DomainOps d : order) {
            int[] sids = sids(streams.get(d), dart.numStreams());
            if (d instanceof DartDomain dd) {
                PreservedDomain pd = dd.preserve(sids);
                if (pd != null) {
                    out.add(pd);
                }
            } else if (d instanceof StaticDomain sd) {
                out.add(new PreservedDomain(0, sd.type(), null, 0, sids));
            }
        }
        for (DartDomain dd : detached) {
            PreservedDomain pd = dd.preserve(new int[0]);
            if (pd != null) {
                out.add(pd);
            }
        }
        return new PreservedIommu(dart.node(), AppleDartDriver.NAME, SCHEMA, VERSION, dart.params.ias(), dart.params.oas(),
                dart.numStreams(), out);
    }

    private static int[] sids(long[] map, int n) {
        List<Integer> l = new ArrayList<>();
        Bitmap.forEachSetBit(map, n, l::add);
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = l.get(i);
        }
        return out;
    }

    /**
     * @return the tables an accepted record names, by domain id (a lookup per domain when every
     *         domain is re-opened in a live update, not a scan of the record); null for no record
     */
    static Map<Integer, List<PageTableState>> tablesById(PreservedIommu rec) {
        if (rec == null) {
            return null;
        }
        Map<Integer, List<PageTableState>> out = new HashMap<>();
        for (PreservedDomain pd : rec.domains()) {
            if (pd.table() != null) {
                out.computeIfAbsent(pd.domain(), k -> new ArrayList<>(1)).add(pd.table());
            }
        }
        return out;
    }

    /**
     * @return {@code rec} when this driver knows its schema, version and table encodings; null (logged:
     *         the hardware is read instead) when there is none or it is of a layout this driver does not know
     * @throws IommuException EIO when a record this driver knows describes another DART than the
     *         hardware (IAS, OAS, stream count) or a table of another format than the variant's
     */
    static PreservedIommu accept(DartInstance dart, PreservedIommu rec, Logger log, String prefix) {
        if (rec == null) {
            log.info("{}: the previous driver left no record; reading the running state from the hardware", prefix);
            return null;
        }
        if (!SCHEMA.equals(rec.schema()) || rec.version() != VERSION) {
            log.info("{}: the previous driver's record is {} version {}; this driver knows {} version {}: reading the running"
                    + " state from the hardware", prefix, rec.schema(), rec.version(), SCHEMA, VERSION);
            return null;
        }
        for (PreservedDomain pd : rec.domains()) {
            if (pd.table() != null && pd.formatVersion() != FORMAT_VERSION) {
                log.info("{}: the previous driver's record has domain {} in {} encoding version {}; this driver knows version {}:"
                        + " reading the running state from the hardware", prefix, pd.domain(), pd.table().format(),
                        pd.formatVersion(), FORMAT_VERSION);
                return null;
            }
        }
        if (rec.ias() != dart.params.ias() || rec.oas() != dart.params.oas() || rec.streams() != dart.numStreams()) {
            throw new IommuException(Errno.EIO, String.format("%s: the record says IAS %d, OAS %d, %d streams; the hardware"
                    + " says IAS %d, OAS %d, %d streams", dart.node(), rec.ias(), rec.oas(), rec.streams(), dart.params.ias(),
                    dart.params.oas(), dart.numStreams()));
        }
        String format = dart.variant.identity().pgtableFormat();
        for (PreservedDomain pd : rec.domains()) {
            if (pd.table() != null && !format.equals(pd.table().format())) {
                throw new IommuException(Errno.EIO, String.format("%s: the record has domain %d on a table of format %s;"
                        + " the %s variant uses %s", dart.node(), pd.domain(), pd.table().format(),
                        dart.variant.identity().name(), format));
            }
        }
        return rec;
    }
}
