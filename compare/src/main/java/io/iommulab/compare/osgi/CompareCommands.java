package io.iommulab.compare.osgi;

import com.fasterxml.jackson.databind.JsonNode;
import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dto.SanitizerDTO;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.lab.LabFactory;
import io.iommulab.api.machine.Machine;
import io.iommulab.api.machine.MachineFactory;
import io.iommulab.compare.report.Comparison;
import io.iommulab.compare.report.JsonReport;
import io.iommulab.compare.report.Reports;
import io.iommulab.compare.report.TextReport;
import io.iommulab.compare.run.Comparator;
import io.iommulab.compare.workload.Workload;
import io.iommulab.compare.workload.WorkloadParser;
import io.iommulab.json.JsonDocument;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Gogo commands of the comparison, in the {@code iommu} scope:
 * <ul>
 * <li>{@code iommu:compare [--workload FILE] [--board BOARD] [--backends BACKENDS] [--report DIR] [--format FORMAT] [--json]}
 * runs a workload (the built-in one without a file) on the twin of the booted board (or of BOARD)
 * for every installed backend and prints the table, each backend's DMA sanitizer findings
 * included, or with {@code --json} the comparison document (the report's JSON; the launcher's
 * {@code --json} writes either result as that document);</li>
 * <li>{@code iommu:backends} lists the backends;</li>
 * <li>{@code iommu:twin [--board BOARD] MODEL FILE} writes a board twin as a DTB, to boot or inspect.</li>
 * </ul>
 * The options are Gogo's ({@code @Parameter}): one the command does not take is a usage error.
 */
@Component(service = Object.class, property = {
        "osgi.command.scope=iommu",
        "osgi.command.function=compare",
        "osgi.command.function=backends",
        "osgi.command.function=twin"})
public final class CompareCommands {
    /** The session variable with every comparison's sanitizer states, see {@link #remember}. */
    public static final String SANITIZER_VARIABLE = "iommulab_compare_sanitizer";

    private final MachineFactory machines;
    private final Comparator comparator;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Machine machine;

    @Activate
    public CompareCommands(@Reference MachineFactory machines, @Reference LabFactory labs) {
        this.machines = machines;
        this.comparator = new Comparator(machines, labs);
    }

    @Descriptor("compare the installed IOMMU backends: run a workload on every backend's twin of the board and print"
            + " one column per backend (groups, domain types, page tables, MMIO and invalidations per op, IOTLB hit rate,"
            + " throughput, faults, DMA sanitizer findings), a * on every row that differs")
    public Object compare(CommandSession session,
            @Descriptor("the workload file (default: the built-in workload)")
            @Parameter(names = {"--workload", "-w"}, absentValue = "") String file,
            @Descriptor("the board (DTB or DTS file) whose twins run it (default: the booted board)")
            @Parameter(names = "--board", absentValue = "") String board,
            @Descriptor("only these backends, comma-separated (default: every installed one)")
            @Parameter(names = "--backends", absentValue = "") String backends,
            @Descriptor("also write comparison.json and the report to this folder")
            @Parameter(names = "--report", absentValue = "") String dir,
            @Descriptor("the report's format: html or md")
            @Parameter(names = "--format", absentValue = "html") String format,
            @Descriptor("print the comparison document (JSON, as comparison.json) instead of the table")
            @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json) throws IOException {
        Options o = Options.of(file, board, backends, dir, format, json);
        Workload w = o.workload == null ? WorkloadParser.builtin()
                : WorkloadParser.parse(o.workload, Files.readString(Path.of(o.workload), StandardCharsets.UTF_8));
        Comparison c = comparator.compare(board(o.board), w, o.backends);
        remember(session, c);
        StringBuilder out = new StringBuilder(TextReport.render(c));
        if (o.report != null) {
            List<Path> written = Reports.write(c, Path.of(o.report), o.format);
            out.append(System.lineSeparator()).append("report: ");
            written.forEach(p -> out.append(p).append(' '));
        }
        // JSON has the document in either form; the shell shows the table (or with --json the document)
        JsonNode document = JsonReport.tree(c);
        return o.json ? new JsonDocument(document) : new JsonDocument(document, out.toString());
    }

    /**
     * Adds the comparison's sanitizer states (backend to {@code SanitizerDTO}, null where it did not
     * run) to the session variable {@value #SANITIZER_VARIABLE}, one map per comparison: the result
     * is text, and this is how a script (the launcher's {@code --sanitize}) counts the findings.
     */
    @SuppressWarnings("unchecked")
    private static void remember(CommandSession session, Comparison c) {
        Map<String, SanitizerDTO> states = new LinkedHashMap<>();
        c.backends().forEach(r -> states.put(r.backend(), r.sanitizer()));
        List<Map<String, SanitizerDTO>> all = new ArrayList<>();
        if (session.get(SANITIZER_VARIABLE) instanceof List<?> earlier) {
            all.addAll((List<Map<String, SanitizerDTO>>) earlier);
        }
        all.add(Collections.unmodifiableMap(states));
        session.put(SANITIZER_VARIABLE, List.copyOf(all));
    }

    @Descriptor("the installed IOMMU backends a comparison runs, one per line")
    public String backends() {
        return String.join(System.lineSeparator(), comparator.backends());
    }

    @Descriptor("write the board's twin with its IOMMUs behind another backend's hardware, as a DTB to boot or inspect")
    public String twin(
            @Descriptor("the board (DTB or DTS file) to twin (default: the booted board)")
            @Parameter(names = "--board", absentValue = "") String board,
            @Descriptor("the backend's hardware model, e.g. arm-smmu-v2") String model,
            @Descriptor("the DTB file to write") String file) throws IOException {
        byte[] dtb = machines.twin(board(given(board)), model);
        Files.write(Path.of(file), dtb);
        return "wrote " + file + " (" + dtb.length + " bytes): the board with its IOMMUs behind " + model;
    }

    private DeviceTree board(String file) {
        if (file != null) {
            return machines.readBoard(Path.of(file)); // bounded and checked, as machine:boot reads it
        }
        Machine m = machine;
        if (m == null) {
            throw new IommuException(Errno.ENODEV, "no machine booted: boot a board or give --board FILE");
        }
        return m.deviceTree();
    }

    /** @return an option's value, null when it was not given (its absentValue "") */
    private static String given(String option) {
        return option.isEmpty() ? null : option;
    }

    /** Command options. */
    private static final class Options {
        String workload;
        String board;
        String report;
        String format;
        boolean json;
        List<String> backends = new ArrayList<>();

        static Options of(String workload, String board, String backends, String report, String format, boolean json) {
            if (!format.equals("html") && !format.equals("md")) {
                throw new IommuException(Errno.EINVAL, "--format: expected html or md, found " + format);
            }
            Options o = new Options();
            o.workload = given(workload);
            o.board = given(board);
            o.report = given(report);
            o.format = format;
            o.json = json;
            if (!backends.isEmpty()) {
                o.backends = Arrays.asList(backends.split(","));
            }
            return o;
        }
    }
}
