package io.iommulab.lib.dt;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How nodes are named to people, on trees whose node names repeat. On M1 Ultra and M2 Ultra the
 * second die's nodes sit under a bus of their own ({@code /soc@2200000000/usb@702280000} beside
 * {@code /soc@200000000/usb@702280000}) with the same names and {@code reg} values as die 0's, so a
 * node's name, its unit address or its last path component does not identify it; only the path
 * does. Every shell command that takes a node and every report that shortens one goes through here,
 * so they agree on what a name means.
 */
public final class NodeNames {

    private NodeNames() {
    }

    /**
     * The shortest names that still tell the given nodes apart: for each path, its last component
     * ({@code usb@702280000}) when no other path ends with it, else the shortest run of last
     * components no other path ends with ({@code soc@2200000000/usb@702280000}), else the full path
     * (a path that is itself a suffix of another one).
     *
     * @param paths full DT paths; duplicates count once
     * @return path → short name, in the order of {@code paths}
     */
    public static Map<String, String> shortest(Collection<String> paths) {
        Set<String> unique = new LinkedHashSet<>(paths);
        Map<String, Integer> ends = new HashMap<>();
        for (String p : unique) {
            for (String s : suffixes(p)) {
                ends.merge(s, 1, Integer::sum);
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String p : unique) {
            String name = p;
            for (String s : suffixes(p)) {
                if (ends.get(s) == 1) {
                    name = s;
                    break;
                }
            }
            out.put(p, name);
        }
        return out;
    }

    /** @return the suffixes of whole components of {@code path}, shortest first, without the full path */
    private static List<String> suffixes(String path) {
        List<String> out = new ArrayList<>();
        for (int i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
            out.add(path.substring(i + 1));
        }
        if (path.length() > 1 && path.charAt(0) == '/') {
            out.add(path.substring(1));
        }
        return out;
    }

    /**
     * Finds the node a person means among {@code candidates} (the nodes a command works on): a
     * full path; else every candidate whose path ends with {@code ref} as whole components
     * ({@code usb@702280000}, {@code soc@2200000000/usb@702280000}), whose name without the unit
     * address is {@code ref} ({@code usb}), or that carries the DTS label {@code ref} (with or
     * without a leading {@code &}). One candidate is the answer; several are an error listing them,
     * never a guess.
     *
     * @param kind       what the candidates are, for the message ({@code "device"}, {@code "DART"})
     * @param ref        what was typed
     * @param candidates the nodes the command accepts
     * @return the node, or empty when none matches
     * @throws IommuException EINVAL "&lt;kind&gt; name 'usb@702280000' is ambiguous: /soc@200000000/usb@702280000,
     *         /soc@2200000000/usb@702280000" when several match
     */
    public static <N extends DtNode> Optional<N> resolve(String kind, String ref, Collection<N> candidates) {
        if (ref == null || ref.isBlank()) {
            return Optional.empty();
        }
        for (N n : candidates) {
            if (n.path().equals(ref)) {
                return Optional.of(n);
            }
        }
        String label = ref.startsWith("&") ? ref.substring(1) : ref;
        Map<String, N> hits = new LinkedHashMap<>();
        for (N n : candidates) {
            if (!ref.startsWith("/") && n.path().endsWith("/" + ref) || isBaseName(n, ref) || n.labels().contains(label)) {
                hits.putIfAbsent(n.path(), n);
            }
        }
        if (hits.size() > 1) {
            throw new IommuException(Errno.EINVAL, kind + " name '" + ref + "' is ambiguous: " + String.join(", ", hits.keySet()));
        }
        return hits.values().stream().findFirst();
    }

    private static boolean isBaseName(DtNode n, String ref) {
        String name = n.name();
        int at = name.indexOf('@');
        return at > 0 && ref.length() == at && name.startsWith(ref);
    }
}
