/**
 * Test fixtures shared with other modules' tests: fixture boards, a delegating driver, a driver
 * wrapper that records MMIO writes, and a log capture.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.iommulab.testkit;
