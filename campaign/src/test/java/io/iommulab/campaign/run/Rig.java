package io.iommulab.campaign.run;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.campaign.gen.OpGenerator;
import io.iommulab.campaign.report.CampaignReport;
import io.iommulab.compare.run.Stack;
import io.iommulab.machine.dt.DeviceTrees;
import io.iommulab.testkit.TestBoards;
import java.nio.file.Path;
import java.util.List;

/** The campaign over the real backends without a framework (DART, SMMU, the test IOMMU). */
final class Rig {
    final Stack stack;
    final Campaign campaign;

    Rig() {
        this(Stack.dartAndSmmu().withTestIommu());
    }

    /** @param stack the backends, e.g. with a driver that has a bug */
    Rig(Stack stack) {
        this.stack = stack;
        this.campaign = new Campaign(stack.machines(), stack.labs, null);
    }

    static DeviceTree board(String name) {
        return switch (name) {
            case "default" -> Stack.board("default");
            case "t6000" -> DeviceTrees.parse(TestBoards.T6000_DTS, TestBoards.t6000Dts());
            case "t8112" -> DeviceTrees.parse(TestBoards.T8112_DTS, TestBoards.t8112Dts());
            case "t6020" -> DeviceTrees.parse(TestBoards.T6020_DTS, TestBoards.t6020Dts());
            case "testkit" -> DeviceTrees.parse(TestBoards.TESTKIT_DTS, TestBoards.testkitDts());
            default -> throw new IllegalArgumentException(name);
        };
    }

    static BackendCampaign.Settings settings(long ops, long seed, Path dir) {
        String inject = System.getProperty("inject");
        return settings(ops, seed, dir, inject == null ? OpGenerator.Options.NONE : new OpGenerator.Options(0, inject, 500, -1));
    }

    static BackendCampaign.Settings settings(long ops, long seed, Path dir, OpGenerator.Options mix) {
        return new BackendCampaign.Settings(ops, seed, mix, dir, 1000, 0);
    }

    CampaignReport run(String board, String backend, long ops, long seed, Path dir) {
        return campaign.run(List.of(board(board)), List.of(backend), settings(ops, seed, dir));
    }

    CampaignReport run(String board, String backend, BackendCampaign.Settings s) {
        return campaign.run(List.of(board(board)), List.of(backend), s);
    }
}
