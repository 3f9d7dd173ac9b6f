package io.iommulab.compare.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.util.StdConverter;
import io.iommulab.api.dto.DomainDTO;
import io.iommulab.api.dto.SanitizerFindingDTO;
import io.iommulab.json.Json;
import java.math.BigInteger;
import java.util.List;

/**
 * The whole {@link Comparison} as JSON, for scripts and for diffing two comparisons: every field of
 * every record, named as the record component, in declaration order ({@link Json}'s rules), under a
 * top-level {@code "schema": "iommulab.compare/1"}. Nodes are full DT paths throughout, so the
 * board's node list ({@link Comparison#nodes()}, which only makes the other renderers' short names
 * unique) is not written.
 *
 * <p>Numbers: counts and byte totals are exact integers; addresses, status registers, page-size
 * bitmaps and apertures are 64-bit unsigned quantities, so they are written unsigned (a top-bit-set
 * aperture end is 18446744073709551615, not -1). Non-finite doubles (a NaN hit rate) are null.
 */
public final class JsonReport {
    /** Identifies this layout; a new layout gets a new name rather than changing this one. */
    public static final String SCHEMA = "iommulab.compare/1";

    /** {@link Json}'s rules, with the records' 64-bit registers and addresses unsigned. */
    private static final ObjectMapper MAPPER = Json.mapper()
            .addMixIn(DomainDTO.class, UnsignedDomain.class)
            .addMixIn(SanitizerFindingDTO.class, UnsignedFinding.class)
            .addMixIn(FaultResult.class, UnsignedFault.class);

    private JsonReport() {
    }

    /** The document's top level: the comparison without its node list, after the schema. */
    private record Document(String schema, String board, String workload, List<BackendRun> backends,
            List<Difference> differences) {
    }

    /** {@code c} as the document's tree, which any mapper writes as this document. */
    public static JsonNode tree(Comparison c) {
        return MAPPER.valueToTree(new Document(SCHEMA, c.board(), c.workload(), c.backends(), c.differences()));
    }

    /** {@code c} as indented JSON text, ending in a newline (the file {@value Reports#JSON}). */
    public static String render(Comparison c) {
        return Json.indented(tree(c)) + "\n";
    }

    /** A 64-bit register or address value as its unsigned decimal digits (a raw JSON number). */
    static final class Unsigned extends StdConverter<Long, Number> {
        @Override
        public Number convert(Long v) {
            return v >= 0 ? v : new BigInteger(Long.toUnsignedString(v));
        }
    }

    private abstract static class UnsignedDomain {
        @JsonSerialize(converter = Unsigned.class)
        abstract long pgsizeBitmap();

        @JsonSerialize(converter = Unsigned.class)
        abstract long apertureStart();

        @JsonSerialize(converter = Unsigned.class)
        abstract long apertureEnd();
    }

    private abstract static class UnsignedFinding {
        @JsonSerialize(converter = Unsigned.class)
        abstract long iova();
    }

    private abstract static class UnsignedFault {
        @JsonSerialize(converter = Unsigned.class)
        abstract long iova();

        @JsonSerialize(converter = Unsigned.class)
        abstract long status();
    }
}
