package io.iommulab.core.impl.update;

import io.iommulab.api.dto.LiveUpdateDTO;

/** A live update as the shell prints it and the log writes it: who took over from whom, how, and what it cost. */
public final class LiveUpdateText {

    private LiveUpdateText() {
    }

    /**
     * @return two lines, e.g. {@code apple-dart: io.iommulab.dart 0.1.0 -> io.iommulab.dart 0.2.0, 8 IOMMUs: adopted
     *         (from record 8, from hardware 0)} and the numbers indented below it
     */
    public static String of(LiveUpdateDTO u) {
        StringBuilder sb = new StringBuilder();
        sb.append(u.driver()).append(": ").append(dash(u.from())).append(" -> ").append(dash(u.to())).append(", ")
                .append(u.iommus().size()).append(u.iommus().size() == 1 ? " IOMMU: " : " IOMMUs: ");
        if (u.adopted()) {
            sb.append("adopted");
            if (u.fromRecord() + u.fromHardware() > 0) {
                // none for a page-table swap: its instances keep their drivers
                sb.append(" (from record ").append(u.fromRecord()).append(", from hardware ").append(u.fromHardware())
                        .append(')');
            }
        } else {
            sb.append("not adopted: ").append(dash(u.reason()));
        }
        sb.append("\n  domains ").append(u.domains()).append(", mappings ").append(u.mappings()).append(", verified ")
                .append(u.verified()).append(", mismatches ").append(u.mismatches()).append(", blackout ")
                .append(u.blackoutNs() / 1000).append(" us, longest wait ").append(u.longestWaitNs() / 1000)
                .append(" us, calls waited ").append(u.callsWaited()).append(", faults during the swap ")
                .append(u.faultsDuringSwap());
        if (!u.iommus().isEmpty()) {
            sb.append("\n  iommus ").append(String.join(" ", u.iommus()));
        }
        return sb.toString();
    }

    private static String dash(String s) {
        return s == null ? "-" : s;
    }
}
