package io.iommulab.compare.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a comparison's report files into a directory: always {@value #JSON}, plus
 * {@code report.html} for format {@code "html"} or {@code report.md} and its SVG files for format
 * {@code "md"}. Files are UTF-8 and replaced if they exist.
 */
public final class Reports {
    /** The JSON file's name. */
    public static final String JSON = "comparison.json";
    /** The formats {@link #write} accepts. */
    public static final List<String> FORMATS = List.of("html", "md");

    private Reports() {
    }

    /**
     * Writes the files, creating {@code dir} if needed.
     *
     * @return the paths written, {@value #JSON} first
     * @throws IllegalArgumentException for a format other than {@link #FORMATS} (case-insensitive);
     *                                  nothing is written then
     * @throws IOException              if a file cannot be written
     */
    public static List<Path> write(Comparison c, Path dir, String format) throws IOException {
        String f = format == null ? "" : format.trim().toLowerCase(Locale.ROOT);
        if (!FORMATS.contains(f)) {
            throw new IllegalArgumentException("unknown report format \"" + format + "\" (expected one of " + FORMATS + ")");
        }
        // render everything before touching the directory: a rendering bug must not leave half a report
        Map<String, String> files = new LinkedHashMap<>();
        files.put(JSON, JsonReport.render(c));
        if (f.equals("html")) {
            files.put("report.html", HtmlReport.render(c));
        } else {
            files.putAll(MarkdownReport.render(c));
        }
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        for (Map.Entry<String, String> e : files.entrySet()) {
            written.add(Files.writeString(dir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8));
        }
        return written;
    }
}
