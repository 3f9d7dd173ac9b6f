package io.iommulab.api.hw;

/**
 * One register, or an array of registers, in a model's register table.
 *
 * @param name     register name as the hardware documentation / driver calls it, e.g. {@code "TCR"}
 * @param offset   byte offset of the first element in the block
 * @param count    number of elements (1 for a plain register)
 * @param stride   bytes between elements (ignored when count is 1)
 * @param reset    value at reset
 * @param writable bits software writes change
 * @param w1c      bits cleared by writing 1 (write-1-to-clear)
 */
public record RegisterSpec(String name, int offset, int count, int stride, int reset, int writable, int w1c) {

    /** A single read/write register. */
    public static RegisterSpec reg(String name, int offset, int reset, int writable) {
        return new RegisterSpec(name, offset, 1, 4, reset, writable, 0);
    }

    /** A single read-only register. */
    public static RegisterSpec ro(String name, int offset, int value) {
        return new RegisterSpec(name, offset, 1, 4, value, 0, 0);
    }

    /** A single register whose {@code w1c} bits are write-1-to-clear. */
    public static RegisterSpec w1c(String name, int offset, int w1cBits) {
        return new RegisterSpec(name, offset, 1, 4, 0, 0, w1cBits);
    }

    /** An array of identical read/write registers. */
    public static RegisterSpec array(String name, int offset, int count, int stride, int reset, int writable) {
        return new RegisterSpec(name, offset, count, stride, reset, writable, 0);
    }

    /** @return true if the byte offset addresses an element of this spec */
    public boolean covers(int off) {
        if (off < offset) {
            return false;
        }
        int rel = off - offset;
        return count == 1 ? rel == 0 : rel % stride == 0 && rel / stride < count;
    }

    /** @return element index of an offset this spec covers */
    public int index(int off) { return count == 1 ? 0 : (off - offset) / stride; }

    /** @return {@code NAME} or {@code NAME[i]} for an offset this spec covers */
    public String nameAt(int off) { return count == 1 ? name : name + "[" + index(off) + "]"; }
}
