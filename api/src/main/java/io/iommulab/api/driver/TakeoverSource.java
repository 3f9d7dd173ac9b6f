package io.iommulab.api.driver;

/**
 * Live update: where a driver's new code took the running state of an IOMMU from, which it tells
 * the core from {@link IommuDriver#restore} ({@link PlatformDevice#restoredFrom}).
 */
public enum TakeoverSource {
    /** the previous driver's {@link PreservedIommu} record, of a schema and version the new code knows */
    RECORD,
    /**
     * the hardware itself, registers and tables in memory: no record was handed over, or one of a
     * schema or version the new code does not know (the way a kdump kernel takes over)
     */
    HARDWARE
}
