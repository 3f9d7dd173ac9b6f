package io.iommulab.smmu.impl.shell;

/**
 * One stream mapping entry as {@code smmu:streams} shows it, read from the registers.
 *
 * @param index  entry index (SMR/S2CR number; the SID under stream indexing)
 * @param smr    raw SMR, null under stream indexing
 * @param valid  SMR.VALID (true under stream indexing)
 * @param id     SMR.ID (the index under stream indexing)
 * @param mask   SMR.MASK (0 under stream indexing)
 * @param s2cr   raw S2CR
 * @param type   S2CR.TYPE decoded: TRANS, BYPASS, FAULT, RESERVED
 * @param cbndx  S2CR.CBNDX
 */
public record StreamEntryDTO(int index, Integer smr, boolean valid, int id, int mask, int s2cr, String type, int cbndx) {

    @Override
    public String toString() {
        String match = smr == null ? "indexed" : String.format("SMR 0x%08x %-7s ID 0x%04x MASK 0x%04x", smr,
                valid ? "valid" : "invalid", id, mask);
        return String.format("%3d %s S2CR 0x%08x %-6s%s", index, match, s2cr, type,
                "TRANS".equals(type) ? " -> cb " + cbndx : "");
    }
}
