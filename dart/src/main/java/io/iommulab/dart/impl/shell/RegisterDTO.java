package io.iommulab.dart.impl.shell;

/**
 * One register read by {@code dart:regs}.
 *
 * @param name    register name ({@code TCR[3]})
 * @param offset  byte offset in the DART's window
 * @param value   the value read
 * @param decoded its fields by name
 */
public record RegisterDTO(String name, int offset, int value, String decoded) {

    @Override
    public String toString() {
        return String.format("%-20s 0x%04x = 0x%08x  %s", name, offset, value, decoded);
    }
}
