package io.iommulab.compare.osgi;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import io.iommulab.compare.report.Comparison;
import io.iommulab.compare.report.JsonReport;
import io.iommulab.compare.report.TextReport;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code iommu:compare} returns: the comparison and the report files it wrote. The shell shows
 * it as the table ({@link ComparisonConverter}); JSON has it as the comparison document, the one
 * {@code comparison.json} holds (the launcher's {@code --compare --json} prints that line).
 *
 * @param comparison the comparison
 * @param written    the report files written ({@code --report DIR}), else empty
 */
public record ComparisonResult(Comparison comparison, List<Path> written) {

    public ComparisonResult {
        written = List.copyOf(written);
    }

    /** @return the comparison document */
    @JsonValue
    public JsonNode document() {
        return JsonReport.tree(comparison);
    }

    /** @return the table, then the report files written */
    public String text() {
        StringBuilder out = new StringBuilder(TextReport.render(comparison));
        if (!written.isEmpty()) {
            out.append(System.lineSeparator()).append("report: ");
            written.forEach(p -> out.append(p).append(' '));
        }
        return out.toString();
    }

    /** @return e.g. {@code comparison on default: 2 backends, 9 differences} */
    public String summary() {
        return "comparison on " + comparison.board() + ": " + comparison.backends().size() + " backends, "
                + comparison.differences().size() + " differences";
    }

    @Override
    public String toString() {
        return text();
    }
}
