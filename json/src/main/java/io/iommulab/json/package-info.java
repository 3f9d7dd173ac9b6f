/**
 * The project's JSON: {@link io.iommulab.json.Json}, the one Jackson configuration every document
 * the project writes goes through (the launcher's {@code --json} lines, the comparison's and the
 * campaign's reports), and {@link io.iommulab.json.JsonDocument}, a command result that is a
 * document.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.iommulab.json;
