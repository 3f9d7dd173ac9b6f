package io.iommulab.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.iommulab.compare.workload.WorkloadParser;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.provider.MethodSource;

/** The workload parser of {@code compare} ({@code --compare=FILE}, {@code iommu:compare}): any text is a workload or an error naming the file and line. */
class WorkloadParserFuzzTest {

    static final String SOURCE = "fuzz.workload";

    static List<byte[]> seeds() {
        return List.of(Seeds.resource("workloads/default.workload"));
    }

    @MethodSource("seeds")
    @DictionaryEntries({"name ", "devices all", "burst ", "stream ", "sg ", "random ", "fault ", "count=", "dir=to-device",
        "dir=from-device", "dir=bidirectional", "min=", "max=", "seed=", "device=first", "iova=near", "access=read", "0x", "K", "M", "#"})
    @FuzzTest(maxDuration = "")
    void parse(byte[] data) throws Exception {
        String text = new String(data, StandardCharsets.UTF_8);
        Rule.onlyProjectErrors(SOURCE, () -> WorkloadParser.parse(SOURCE, text));
    }
}
