package io.iommulab.api.dto;

/**
 * A fault-injection point of one IOMMU ({@code iommu:inject}): what its driver's
 * {@code PlatformDevice.shouldFail(point)} answers.
 *
 * @param iommu     DT path of the IOMMU
 * @param point     the injection point, e.g. {@code skip-invalidate}
 * @param remaining occurrences still to fail: -1 every one, 0 none (off)
 * @param failed    occurrences failed (skipped) since it was set
 */
public record InjectionDTO(String iommu, String point, long remaining, long failed) {
}
