package io.iommulab.api.dto;

/**
 * One trace event in the text shape of Linux's iommu trace events.
 *
 * @param timestampNs time since the core started
 * @param event       event name: {@code map}, {@code unmap}, {@code attach_device_to_domain},
 *                    {@code detach_device_from_domain}, {@code add_device_to_group},
 *                    {@code remove_device_from_group}, {@code io_page_fault}
 * @param text        the event's text, e.g. {@code IOMMU: iova=0x... - 0x... paddr=0x... size=16384}
 */
public record TraceEventDTO(long timestampNs, String event, String text) {

    /** @return the line as ftrace prints it: {@code <seconds>: <event>: <text>} */
    public String line() {
        return String.format("%6d.%06d: %s: %s", timestampNs / 1_000_000_000L, (timestampNs / 1000) % 1_000_000, event, text);
    }
}
