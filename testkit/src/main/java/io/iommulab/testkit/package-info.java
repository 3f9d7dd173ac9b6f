/** Test fixtures shared with other modules' tests: fixture boards. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.iommulab.testkit;
