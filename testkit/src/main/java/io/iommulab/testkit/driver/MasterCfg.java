package io.iommulab.testkit.driver;

import io.iommulab.api.driver.IommuGroup;
import java.util.Arrays;

/**
 * Per-master driver data (dev_iommu_priv, like apple-dart's {@code apple_dart_master_cfg}): the
 * instances the master's streams sit on, with one stream bitmap per instance. Filled by of_xlate
 * before probe_device; read afterwards without locking (the core does not run of_xlate
 * concurrently with the master's other ops).
 */
final class MasterCfg {

    /** Bitmap words per instance: 256 stream ids. */
    private static final int WORDS = 4;

    private TestIommuInstance[] instances = new TestIommuInstance[0];
    private long[][] sidmaps = new long[0][];
    /** The group device_group gave this master; guarded by the driver's group lock. */
    IommuGroup group;

    void add(TestIommuInstance inst, int sid) {
        int i = indexOf(inst);
        if (i < 0) {
            i = instances.length;
            instances = Arrays.copyOf(instances, i + 1);
            sidmaps = Arrays.copyOf(sidmaps, i + 1);
            instances[i] = inst;
            sidmaps[i] = new long[WORDS];
        }
        sidmaps[i][sid >>> 6] |= 1L << sid;
    }

    private int indexOf(TestIommuInstance inst) {
        for (int i = 0; i < instances.length; i++) {
            if (instances[i] == inst) {
                return i;
            }
        }
        return -1;
    }

    int instanceCount() {
        return instances.length;
    }

    TestIommuInstance instance(int i) {
        return instances[i];
    }

    /** @return the first stream of instance {@code i} at or after {@code from}, or -1 */
    int nextStream(int i, int from) {
        long[] map = sidmaps[i];
        for (int w = from >>> 6; w < WORDS; w++) {
            long bits = map[w] & (w == from >>> 6 ? -1L << from : -1L);
            if (bits != 0) {
                return (w << 6) + Long.numberOfTrailingZeros(bits);
            }
        }
        return -1;
    }

    /** @return true if the master uses stream {@code sid} of {@code inst} */
    boolean has(TestIommuInstance inst, int sid) {
        int i = indexOf(inst);
        return i >= 0 && (sidmaps[i][sid >>> 6] & (1L << sid)) != 0;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < instances.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(instances[i].name()).append(" streams");
            for (int s = nextStream(i, 0); s >= 0; s = nextStream(i, s + 1)) {
                sb.append(' ').append(s);
            }
        }
        return sb.toString();
    }
}
