package io.iommulab.lib.cmdline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import java.util.List;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.junit.jupiter.api.Test;

class CommandUsageTest {

    /** Commands as the bundles write them: overloads, a session, Gogo options and flags, a list. */
    public static final class Commands {
        @Descriptor("iommu_map on the device's current domain")
        public String map(@Descriptor("device") String dev, @Descriptor("IOVA") String iova,
                @Descriptor("size in bytes") String size, @Descriptor("protection: r, w or rw") String prot) {
            return dev;
        }

        @Descriptor("iommu_map on the device's current domain, read-write")
        public String map(@Descriptor("device") String dev, @Descriptor("IOVA") String iova,
                @Descriptor("size in bytes") String size) {
            return dev;
        }

        @Descriptor("run a workload on every backend")
        public String compare(CommandSession session,
                @Descriptor("the board") @Parameter(names = {"--board", "-b"}, absentValue = "") String board,
                @Descriptor("report format") @Parameter(names = "--format", absentValue = "html") String format,
                @Descriptor("print JSON") @Parameter(names = "--json", presentValue = "true", absentValue = "false")
                boolean json,
                @Descriptor("backends to run") String... backends) {
            return board;
        }

        /** {@code new}: Gogo calls a function named by a Java keyword through the method with a {@code _}. */
        @Descriptor("make one")
        public String _new(@Descriptor("what to make") String what) {
            return what;
        }

        /** Not a command: a factory, as the commands classes have them for tests. */
        public static Commands over() {
            return new Commands();
        }
    }

    /** A commands class with its descriptions missing in every way there is. */
    public static final class Undescribed {
        @Descriptor("described")
        public void good(@Descriptor("an argument") String arg, CommandSession session) {
        }

        public void bare(String arg) {
        }

        @Descriptor(" ")
        public void blank(@Descriptor("") String arg, @Parameter(names = "--all", presentValue = "true",
                absentValue = "false") boolean all) {
        }

        void hidden(String notACommand) {
        }
    }

    @Test
    void formsAreThePublicMethodsOfTheNameIgnoringCaseTheSimplestFirst() {
        List<Method> forms = CommandUsage.forms(Commands.class, "MAP");
        assertEquals(List.of(3, 4), forms.stream().map(Method::getParameterCount).toList());
        assertEquals(List.of(), CommandUsage.forms(Commands.class, "unmap"));
        assertEquals("iommu:new WHAT\n  make one\n    WHAT  what to make",
                CommandUsage.usage("iommu:new", CommandUsage.forms(Commands.class, "new")));
    }

    @Test
    void eachFormHasItsSynopsisDescriptionAndTheParametersNotDescribedBefore() {
        assertEquals("""
                iommu:map DEV IOVA SIZE
                  iommu_map on the device's current domain, read-write
                    DEV   device
                    IOVA  IOVA
                    SIZE  size in bytes
                iommu:map DEV IOVA SIZE PROT
                  iommu_map on the device's current domain
                    PROT  protection: r, w or rw""", CommandUsage.usage("iommu:map", CommandUsage.forms(Commands.class, "map")));
    }

    @Test
    void optionsFlagsAndListsAreWrittenAsTheShellTakesThemAndTheSessionIsLeftOut() {
        assertEquals("""
                iommu:compare [--board BOARD] [--format FORMAT] [--json] [BACKENDS...]
                  run a workload on every backend
                    --board, -b BOARD  the board
                    --format FORMAT    report format (default: html)
                    --json             print JSON
                    BACKENDS           backends to run""",
                CommandUsage.usage("iommu:compare", CommandUsage.forms(Commands.class, "compare")));
    }

    @Test
    void theSummaryIsTheSimplestFormsDescription() {
        assertEquals("iommu_map on the device's current domain, read-write",
                CommandUsage.summary(CommandUsage.forms(Commands.class, "map")));
        assertEquals("", CommandUsage.summary(List.of()));
    }

    @Test
    void everyMissingOrBlankDescriptionOfACommandOrItsParametersIsNamed() {
        assertEquals(List.of(), CommandUsage.undescribed(Commands.class));
        assertEquals(List.of(
                "Undescribed.bare(String): no description",
                "Undescribed.bare(String): parameter ARG has no description",
                "Undescribed.blank(String, boolean): no description",
                "Undescribed.blank(String, boolean): parameter ARG has no description",
                "Undescribed.blank(String, boolean): parameter --all has no description"),
                CommandUsage.undescribed(Undescribed.class));
    }
}
