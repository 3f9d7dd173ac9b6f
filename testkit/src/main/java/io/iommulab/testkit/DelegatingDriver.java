package io.iommulab.testkit;

import io.iommulab.api.DomainType;
import io.iommulab.api.driver.Capability;
import io.iommulab.api.driver.DomainHandover;
import io.iommulab.api.driver.DomainOps;
import io.iommulab.api.driver.GroupFactory;
import io.iommulab.api.driver.IommuDevice;
import io.iommulab.api.driver.IommuDriver;
import io.iommulab.api.driver.IommuGroup;
import io.iommulab.api.driver.IommuMaster;
import io.iommulab.api.driver.PlatformDevice;
import io.iommulab.api.driver.PreservedIommu;
import io.iommulab.api.driver.ReservedRegion;
import java.util.List;

/** A driver that forwards to another one; tests override single methods (shared by the core, dart and smmu tests). */
public class DelegatingDriver implements IommuDriver {

    protected final IommuDriver base;

    public DelegatingDriver(IommuDriver base) {
        this.base = base;
    }

    @Override
    public String name() {
        return base.name();
    }

    @Override
    public List<String> compatibles() {
        return base.compatibles();
    }

    @Override
    public IommuDevice probe(PlatformDevice pdev) {
        return base.probe(pdev);
    }

    @Override
    public void remove(IommuDevice iommu) {
        base.remove(iommu);
    }

    @Override
    public void ofXlate(IommuMaster dev, IommuDevice iommu, int[] args) {
        base.ofXlate(dev, iommu, args);
    }

    @Override
    public void probeDevice(IommuMaster dev) {
        base.probeDevice(dev);
    }

    @Override
    public void releaseDevice(IommuMaster dev) {
        base.releaseDevice(dev);
    }

    @Override
    public IommuGroup deviceGroup(IommuMaster dev, GroupFactory groups) {
        return base.deviceGroup(dev, groups);
    }

    @Override
    public DomainType defDomainType(IommuMaster dev) {
        return base.defDomainType(dev);
    }

    @Override
    public DomainOps domainAllocPaging(IommuMaster dev) {
        return base.domainAllocPaging(dev);
    }

    @Override
    public DomainOps identityDomain() {
        return base.identityDomain();
    }

    @Override
    public DomainOps blockedDomain() {
        return base.blockedDomain();
    }

    @Override
    public List<ReservedRegion> getResvRegions(IommuMaster dev) {
        return base.getResvRegions(dev);
    }

    @Override
    public boolean capable(IommuMaster dev, Capability cap) {
        return base.capable(dev, cap);
    }

    @Override
    public PreservedIommu preserve(IommuDevice iommu) {
        return base.preserve(iommu);
    }

    @Override
    public IommuDevice restore(PlatformDevice pdev, PreservedIommu record) {
        return base.restore(pdev, record);
    }

    @Override
    public DomainOps restoreDomain(DomainHandover domain) {
        return base.restoreDomain(domain);
    }
}
