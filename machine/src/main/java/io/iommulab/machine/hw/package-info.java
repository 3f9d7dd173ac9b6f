/**
 * Helpers the machine lends to hardware models, exported so that model bundles share them instead
 * of each keeping a copy. Hardware only: a model bundle may import this package (the machine is
 * hardware too, started and stopped with the models), never a software bundle's, so updating
 * software never restarts, and so resets, hardware.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.iommulab.machine.hw;
