package io.iommulab.compare.workload;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.compare.workload.Workload.Direction;
import io.iommulab.compare.workload.Workload.Fault;
import io.iommulab.compare.workload.Workload.Pattern;
import io.iommulab.lib.cmdline.Memparse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads workload files: one directive per line, {@code #} starts a comment; numbers are read as
 * every shell reads them ({@link Memparse}: decimal or {@code 0x} hex, binary K/M/G/T suffixes).
 *
 * <pre>
 * name     streaming mix                       # what the reports call it
 * devices  all                                 # or DT paths / labels / unique node names
 * config   iommulab.iommu.strict=false         # core settings for the labs
 * burst    256                                 # bytes per device transaction (default 256)
 * stream   16K count=256 dir=to-device name=x  # dma_map_single of one 16 KiB buffer per op
 * sg       4K,16K,64K count=32                 # dma_map_sg of a 3-entry list per op
 * random   min=512 max=64K count=256 seed=7    # one buffer of a random size per op
 * fault    device=first iova=near access=write  # near: 64 KiB below a live mapping (default)
 * </pre>
 *
 * {@code dir} is {@code to-device}, {@code from-device} or {@code bidirectional} (default). A bad
 * line is an EINVAL naming the file, the line number and the token.
 */
public final class WorkloadParser {
    /** Largest buffer one op may map. */
    public static final long MAX_BUFFER = 16L << 20;
    /** Most ops one pattern may do per device. */
    public static final int MAX_COUNT = 1 << 20;
    /** Device transaction size unless a workload says otherwise: PCIe's common 256-byte max payload. */
    public static final int DEFAULT_BURST = 256;
    /** Largest transaction: one 64 KiB page. */
    public static final int MAX_BURST = 0x10000;

    private final String source;
    private int line;

    private WorkloadParser(String source) {
        this.source = source;
    }

    /** Parses workload text. */
    public static Workload parse(String source, String text) {
        return new WorkloadParser(source).read(text);
    }

    /** The built-in workload: what the comparison runs when no file is given. */
    public static Workload builtin() {
        try (InputStream in = WorkloadParser.class.getResourceAsStream("/workloads/default.workload")) {
            if (in == null) {
                throw new IommuException(Errno.ENOENT, "built-in workload /workloads/default.workload is missing from the bundle");
            }
            return parse("builtin:default", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IommuException(Errno.EIO, "cannot read the built-in workload: " + e.getMessage(), e);
        }
    }

    private Workload read(String text) {
        String name = null;
        List<String> devices = new ArrayList<>();
        Map<String, String> config = new LinkedHashMap<>();
        List<Pattern> patterns = new ArrayList<>();
        List<Fault> faults = new ArrayList<>();
        int burst = DEFAULT_BURST;
        for (String raw : text.split("\n", -1)) {
            line++;
            int hash = raw.indexOf('#');
            String l = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            if (l.isEmpty()) {
                continue;
            }
            String[] t = l.split("\\s+");
            String directive = t[0].toLowerCase(Locale.ROOT);
            switch (directive) {
                case "name" -> name = l.substring(t[0].length()).strip();
                case "devices" -> {
                    for (int i = 1; i < t.length; i++) {
                        if (!t[i].equals("all")) {
                            devices.add(t[i]);
                        }
                    }
                }
                case "config" -> {
                    for (int i = 1; i < t.length; i++) {
                        int eq = t[i].indexOf('=');
                        if (eq <= 0) {
                            throw bad("config expects key=value, found '" + t[i] + "'");
                        }
                        config.put(t[i].substring(0, eq), t[i].substring(eq + 1));
                    }
                }
                case "burst" -> {
                    if (t.length != 2) {
                        throw bad("burst expects one size, e.g. 'burst 256'");
                    }
                    burst = (int) size(t[1]);
                    if (burst < 8 || Long.bitCount(burst) != 1 || burst > MAX_BURST) {
                        throw bad(String.format("burst must be a power of two from 8 to 0x%x bytes, found '%s'", MAX_BURST, t[1]));
                    }
                }
                case "stream", "sg", "random" -> patterns.add(pattern(directive, t, patterns.size()));
                case "fault" -> faults.add(fault(t));
                default -> throw bad("unknown directive '" + t[0] + "' (expected name, devices, config, burst, stream, sg, random or fault)");
            }
        }
        if (patterns.isEmpty() && faults.isEmpty()) {
            throw new IommuException(Errno.EINVAL, source + ": no stream, sg, random or fault line: the workload does nothing");
        }
        return new Workload(name != null && !name.isEmpty() ? name : source, source, devices, config, patterns, faults, burst);
    }

    private Pattern pattern(String kind, String[] t, int index) {
        Map<String, String> opts = new HashMap<>();
        List<String> positional = new ArrayList<>();
        for (int i = 1; i < t.length; i++) {
            int eq = t[i].indexOf('=');
            if (eq > 0) {
                if (opts.put(t[i].substring(0, eq).toLowerCase(Locale.ROOT), t[i].substring(eq + 1)) != null) {
                    throw bad("option '" + t[i].substring(0, eq) + "' given twice");
                }
            } else {
                positional.add(t[i]);
            }
        }
        long[] sizes;
        switch (kind) {
            case "stream" -> {
                if (positional.size() != 1) {
                    throw bad("stream expects one buffer size, e.g. 'stream 16K count=64'");
                }
                sizes = new long[] {size(positional.get(0))};
            }
            case "sg" -> {
                if (positional.size() != 1) {
                    throw bad("sg expects a comma-separated list of entry sizes, e.g. 'sg 4K,16K,64K count=16'");
                }
                String[] parts = positional.get(0).split(",");
                sizes = new long[parts.length];
                long total = 0;
                for (int i = 0; i < parts.length; i++) {
                    sizes[i] = size(parts[i]);
                    total += sizes[i];
                }
                if (total > MAX_BUFFER) {
                    throw bad(String.format("sg list of 0x%x bytes is larger than the limit 0x%x", total, MAX_BUFFER));
                }
            }
            default -> {
                if (!positional.isEmpty()) {
                    throw bad("random takes options only (min=, max=, count=, seed=), found '" + positional.get(0) + "'");
                }
                long min = size(opts.getOrDefault("min", "512"));
                long max = size(opts.getOrDefault("max", "64K"));
                if (min > max) {
                    throw bad(String.format("random: min 0x%x is larger than max 0x%x", min, max));
                }
                sizes = new long[] {min, max};
            }
        }
        int count = (int) number("count", opts.getOrDefault("count", "64")).within(1, MAX_COUNT);
        Direction dir = direction(opts.getOrDefault("dir", "bidirectional"));
        long seed = number("seed", opts.getOrDefault("seed", "1")).value();
        for (String k : opts.keySet()) {
            if (!List.of("count", "dir", "seed", "name", "min", "max").contains(k)
                    || !kind.equals("random") && (k.equals("min") || k.equals("max"))) {
                throw bad("unknown option '" + k + "' for " + kind);
            }
        }
        String name = opts.getOrDefault("name", defaultName(kind, t, index));
        return new Pattern(name, kind, sizes, count, dir, seed);
    }

    private static String defaultName(String kind, String[] t, int index) {
        return switch (kind) {
            case "stream" -> "stream " + t[1];
            case "sg" -> "sg " + t[1];
            default -> "random #" + (index + 1);
        };
    }

    private Fault fault(String[] t) {
        String device = "";
        long iova = -1;
        boolean write = false;
        for (int i = 1; i < t.length; i++) {
            int eq = t[i].indexOf('=');
            if (eq <= 0) {
                throw bad("fault expects key=value options (device=, iova=, access=), found '" + t[i] + "'");
            }
            String k = t[i].substring(0, eq);
            String v = t[i].substring(eq + 1);
            switch (k) {
                case "device" -> device = v.equals("first") ? "" : v;
                case "iova" -> iova = v.equals("near") ? -1 : number("iova", v).within(0, Long.MAX_VALUE);
                case "access" -> {
                    if (!v.equals("read") && !v.equals("write")) {
                        throw bad("access must be read or write, found '" + v + "'");
                    }
                    write = v.equals("write");
                }
                default -> throw bad("unknown fault option '" + k + "'");
            }
        }
        return new Fault(device, iova, write);
    }

    private Direction direction(String v) {
        return switch (v) {
            case "to-device" -> Direction.TO_DEVICE;
            case "from-device" -> Direction.FROM_DEVICE;
            case "bidirectional" -> Direction.BIDIRECTIONAL;
            default -> throw bad("dir must be to-device, from-device or bidirectional, found '" + v + "'");
        };
    }

    private long size(String v) {
        return number("size", v).within(1, MAX_BUFFER);
    }

    /** @return {@code v} read as Memparse, its errors naming the file, the line and {@code what} */
    private Memparse number(String what, String v) {
        return Memparse.parse(source + ":" + line + ": " + what, v);
    }

    private IommuException bad(String message) {
        return new IommuException(Errno.EINVAL, source + ":" + line + ": " + message);
    }
}
