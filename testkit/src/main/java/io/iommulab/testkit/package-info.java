/**
 * Test fixtures shared with other modules' tests: fixture boards, a delegating driver, a driver
 * wrapper that records MMIO writes, a log capture, and the checks every backend's tests make
 * ({@link io.iommulab.testkit.BackendChecks}, 1.2).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.iommulab.testkit;
