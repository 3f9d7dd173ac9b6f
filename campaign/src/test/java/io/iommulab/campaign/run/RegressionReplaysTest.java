package io.iommulab.campaign.run;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.iommulab.campaign.op.ReplayFile;
import io.iommulab.campaign.report.BackendResult;
import io.iommulab.campaign.report.CampaignReport;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every mismatch a campaign by hand found, kept as its shrunk replay file in
 * {@code src/test/resources/regressions}: each replays on a fresh lab of its board and backend
 * without a mismatch now. A new finding goes there once it is fixed.
 */
class RegressionReplaysTest {

    @TempDir
    Path dir;

    static List<Path> replays() throws IOException, URISyntaxException {
        Path root = Path.of(RegressionReplaysTest.class.getResource("/regressions").toURI());
        try (Stream<Path> s = Files.list(root)) {
            List<Path> out = s.filter(p -> p.toString().endsWith(".replay")).sorted().toList();
            assertFalse(out.isEmpty(), "no replay files in " + root);
            return out;
        }
    }

    @ParameterizedTest
    @MethodSource("replays")
    void replaysWithoutAMismatch(Path file) {
        ReplayFile replay = ReplayFile.read(file);
        CampaignReport r = new Rig().campaign.replay(replay, file.toString(), Rig.board(replay.board()),
                Rig.settings(0, replay.seed(), dir));
        BackendResult b = r.runs().get(0);
        assertNull(b.mismatch(), () -> file.getFileName() + ": " + b.mismatch());
    }
}
