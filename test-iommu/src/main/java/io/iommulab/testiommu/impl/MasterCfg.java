package io.iommulab.testiommu.impl;

import io.iommulab.api.driver.IommuGroup;
import io.iommulab.klib.Bitmap;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * Per-master driver data (dev_iommu_priv, like apple-dart's {@code apple_dart_master_cfg}): the
 * instances the master's streams sit on, with one stream bitmap per instance. Filled by of_xlate
 * before probe_device; read afterwards without locking (the core does not run of_xlate
 * concurrently with the master's other ops).
 */
final class MasterCfg {

    /** Bits of a stream bitmap: the ID register's stream count field holds at most 255. */
    private static final int MAX_STREAMS = 256;

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
            sidmaps[i] = Bitmap.zalloc(MAX_STREAMS);
        }
        Bitmap.set(sidmaps[i], sid);
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

    /** @return the bitmap of the streams the master uses on instance {@code i} */
    long[] sidmap(int i) {
        return sidmaps[i];
    }

    /** for_each_set_bit over the streams the master uses on instance {@code i} */
    void forEachStream(int i, IntConsumer action) {
        Bitmap.forEachSetBit(sidmaps[i], instances[i].numStreams(), action);
    }

    /** @return true if the master uses stream {@code sid} of {@code inst} */
    boolean has(TestIommuInstance inst, int sid) {
        int i = indexOf(inst);
        return i >= 0 && Bitmap.test(sidmaps[i], sid);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < instances.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(instances[i].name()).append(" streams ")
                    .append(Bitmap.toText(sidmaps[i], MAX_STREAMS));
        }
        return sb.toString();
    }
}
