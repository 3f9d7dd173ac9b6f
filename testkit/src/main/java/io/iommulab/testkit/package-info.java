/**
 * Test fixtures shared with other modules' tests: fixture boards, a delegating driver, a driver
 * wrapper that records MMIO writes, a log capture, and since 1.2 the checks every backend's tests
 * make ({@link io.iommulab.testkit.BackendChecks}) and a JSON parser for the tests of every JSON
 * writer; 1.3 added faults a driver test
 * injects ({@link io.iommulab.testkit.InjectedFaults}, answered by the recording driver's devices);
 * 1.4 added a call made on its own thread ({@link io.iommulab.testkit.BackgroundCall}), which a test
 * sees wait for a live update; 1.5 added the fail-nth sweep every backend's tests run
 * ({@link io.iommulab.testkit.FailNthSweep} over {@link io.iommulab.testkit.FailNthScenario}s, the
 * standard ones in {@link io.iommulab.testkit.FailNthScenarios}) and the state it compares
 * ({@link io.iommulab.testkit.StateSnapshot}); 1.6 replaced the hand-written parser (new since the
 * last release) with {@link io.iommulab.testkit.StrictJson}, Jackson read strictly.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.6.0")
package io.iommulab.testkit;
