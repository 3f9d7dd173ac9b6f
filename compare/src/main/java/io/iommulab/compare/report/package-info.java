/**
 * The comparison's results (records) and their renderings: terminal table, JSON, HTML and Markdown
 * reports with SVG pictures. Internal to the compare bundle.
 */
package io.iommulab.compare.report;
