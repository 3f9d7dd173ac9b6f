package io.iommulab.machine.dt;

/**
 * The bounds both readers put on a device tree, so that memory and time stay bounded on any
 * input: a blob or source beyond them is refused with the offset or line where the bound was
 * crossed, never read on until the heap or the stack runs out. Real Apple trees stay far below
 * every bound (M1 Ultra j375d: 118 KiB DTB, 680 nodes, depth 7, longest path 76 characters).
 */
public final class DtLimits {
    /**
     * Largest DTB: arm64 MAX_FDT_SIZE (Documentation/arch/arm64/booting.rst, "must not exceed 2
     * megabytes"); a bigger blob cannot be handed to a kernel on the machines we model.
     */
    public static final int MAX_FDT_BYTES = 2 << 20;
    /** Largest DTS text: twice the largest DTB (cpp output of a real tree is about 1.5 times its DTB). */
    public static final int MAX_DTS_BYTES = 2 * MAX_FDT_BYTES;
    /**
     * Linux's FDT_MAX_DEPTH (drivers/of/fdt.c): unflatten_dt_nodes skips every node at depth
     * {@code FDT_MAX_DEPTH - 1} or more (the root is depth 0), so such a node would vanish from the
     * kernel's tree; here it is refused. Real trees are 5 to 7 deep.
     */
    public static final int MAX_DEPTH = 64;
    /** Most nodes in one tree: 24 times the largest real tree. */
    public static final int MAX_NODES = 16384;
    /**
     * Longest node path, Linux's PATH_MAX: every node is a directory under
     * /sys/firmware/devicetree/base, so a longer path cannot be reached there. With
     * {@link #MAX_NODES} it bounds the memory the paths take (each node keeps its full path).
     */
    public static final int MAX_PATH = 4096;
    /**
     * Longest node or property name, Linux's NAME_MAX: each is one entry under
     * /sys/firmware/devicetree/base (the Devicetree Specification asks for at most 31 characters).
     */
    public static final int MAX_NAME = 255;
    /**
     * Deepest DTS integer expression: parentheses, unary operators and {@code ?:} branches each
     * nest one level, and the parser recurses about a dozen frames per parenthesis, so this bounds
     * its stack (cpp-expanded real sources nest fewer than 10).
     */
    public static final int MAX_EXPRESSION_DEPTH = 64;

    private DtLimits() {
    }

    /**
     * @param depth the depth a new node would have (the root is 0)
     * @return why a node that deep is refused, or null if it is not
     */
    static String depth(String name, int depth) {
        return depth < MAX_DEPTH - 1 ? null : String.format(
                "expected nodes at most %d deep (Linux FDT_MAX_DEPTH %d), found \"%s\" at depth %d", MAX_DEPTH - 2, MAX_DEPTH,
                name, depth);
    }

    /** @return why the {@code count}th node is refused, or null if it is not */
    static String nodes(int count) {
        return count <= MAX_NODES ? null : "expected at most " + MAX_NODES + " nodes, found more";
    }

    /** @return why a node with this path length is refused, or null if it is not */
    static String path(String name, int length) {
        return length <= MAX_PATH ? null : String.format(
                "expected a node path of at most %d characters (PATH_MAX), found %d for \"%s\"", MAX_PATH, length, name);
    }

    /** @return why a node or property name of this length (UTF-8 bytes in a DTB, characters in DTS) is refused, or null */
    static String name(String what, int length) {
        return length <= MAX_NAME ? null : String.format("expected a %s name of at most %d bytes (NAME_MAX), found %d",
                what, MAX_NAME, length);
    }
}
