package io.iommulab.dart.impl;

import io.iommulab.api.DomainType;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;

/**
 * The static identity and blocked domains (dart-facts §3.2, §3.3): no page table, nothing to
 * flush. Identity writes the bypass TCR value on every stream of the master, and needs bypass
 * support on each of its DARTs (a real identity mapping or none: no software bypass, review
 * point); blocked writes TCR 0. TTBRs stay as they were.
 *
 * <p>Fields: {@code identity} which of the two this is.
 */
final class StaticDomain implements DomainOps {

    private final boolean identity;

    private StaticDomain(boolean identity) {
        this.identity = identity;
    }

    static StaticDomain identity() {
        return new StaticDomain(true);
    }

    static StaticDomain blocked() {
        return new StaticDomain(false);
    }

    /** apple_dart_attach_dev_identity / _blocked; an EINVAL changes nothing. */
    @Override
    public void attachDev(IommuMaster dev) {
        MasterCfg cfg = AppleDartDriver.masterCfg(dev);
        if (identity && !cfg.supportsBypass) {
            throw new IommuException(Errno.EINVAL, dev.name() + ": identity domain needs bypass support on every DART ("
                    + cfg + "), and one has none");
        }
        for (int i = 0; i < cfg.count(); i++) {
            StreamMap map = cfg.maps[i];
            if (identity) {
                map.dart.hw.hwEnableBypass(map.sidmap);
            } else {
                map.dart.hw.hwDisableDma(map.sidmap);
            }
            map.dart.attached(map.sidmap, this);
        }
    }

    /** @return IDENTITY or BLOCKED */
    DomainType type() {
        return identity ? DomainType.IDENTITY : DomainType.BLOCKED;
    }

    @Override
    public String toString() {
        return identity ? "apple-dart identity domain" : "apple-dart blocked domain";
    }
}
