package io.iommulab.api.driver;

import org.osgi.annotation.versioning.ConsumerType;

/** One probed IOMMU instance (= struct iommu_device plus driver data such as struct apple_dart). */
@ConsumerType
public interface IommuDevice {

    /** @return the platform device this instance was probed from */
    PlatformDevice platformDevice();

    /** @return number of stream ids the instance has */
    int numStreams();
}
