package io.iommulab.klib;

/** FIELD_GET / FIELD_PREP / GENMASK for 32-bit registers, as the kernel's bitfield.h. */
public final class Bits {

    private Bits() {
    }

    /** @return GENMASK(high, low) */
    public static int genmask(int high, int low) {
        return (int) (((1L << (high + 1)) - 1) & ~((1L << low) - 1));
    }

    /** @return FIELD_GET(mask, value): the field shifted down to bit 0 */
    public static int get(int mask, int value) {
        return (value & mask) >>> Integer.numberOfTrailingZeros(mask);
    }

    /** @return FIELD_PREP(mask, field): the field shifted into place */
    public static int prep(int mask, int field) {
        return (field << Integer.numberOfTrailingZeros(mask)) & mask;
    }
}
