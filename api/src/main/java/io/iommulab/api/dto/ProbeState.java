package io.iommulab.api.dto;

/**
 * Where the IOMMU probe of a master ({@link DeviceDTO#state}) or of an IOMMU node
 * ({@link IommuNodeDTO#state}) stands; {@link #text} is the word the DTOs carry and the shell shows,
 * so a reader compares states, never strings.
 */
public enum ProbeState {
    /** a master: in a group, attached to a domain; a node: a driver probed it */
    PROBED("probed"),
    /** a master: waiting for its IOMMUs' drivers or its power domain, or released; a node: waiting for a
     *  driver, its hardware model or its power domain */
    DEFERRED("deferred"),
    /** a master: refused, no translation until the board or the drivers change; a node: the last driver
     *  that tried refused it */
    FAILED("failed"),
    /** a node only: its status is not okay, nothing binds it */
    DISABLED("disabled");

    private final String text;

    ProbeState(String text) {
        this.text = text;
    }

    /** @return the word in the DTOs and the shell: {@code probed}, {@code deferred}, {@code failed}, {@code disabled} */
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }

    /**
     * @return the state whose {@link #text} is {@code text}
     * @throws IllegalArgumentException for any other word (a DTO from another version)
     */
    public static ProbeState of(String text) {
        for (ProbeState s : values()) {
            if (s.text.equals(text)) {
                return s;
            }
        }
        throw new IllegalArgumentException("no probe state '" + text + "' (probed, deferred, failed, disabled)");
    }
}
