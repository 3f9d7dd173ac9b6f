package io.iommulab.dart.impl.shell;

import java.util.List;

/**
 * One stream of a DART as {@code dart:streams} shows it.
 *
 * @param sid     stream id
 * @param enabled the stream-enable bit
 * @param tcr     raw TCR
 * @param mode    TCR decoded: blocked, bypass, translate, translate 4-level, invalid
 * @param ttbrs   every TTBR of the stream, decoded
 */
public record StreamDTO(int sid, boolean enabled, int tcr, String mode, List<String> ttbrs) {

    public StreamDTO {
        ttbrs = List.copyOf(ttbrs);
    }

    @Override
    public String toString() {
        return String.format("sid %3d %-8s TCR 0x%08x %-18s TTBR %s", sid, enabled ? "enabled" : "disabled", tcr, mode,
                String.join(", ", ttbrs));
    }
}
