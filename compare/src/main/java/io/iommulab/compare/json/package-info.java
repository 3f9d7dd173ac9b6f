/**
 * The JSON writer of the comparison's report, shared with the other tools that print JSON (the
 * differential campaign).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.iommulab.compare.json;
