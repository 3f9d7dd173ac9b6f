package io.iommulab.dart.impl.shell;

import io.iommulab.dart.impl.hw.T8020Family;
import io.iommulab.dart.impl.hw.T8020Regs;
import io.iommulab.dart.impl.hw.T8110Family;
import io.iommulab.dart.impl.hw.T8110Regs;
import io.iommulab.dart.spi.DartHw;
import io.iommulab.dart.spi.DartLayout;
import io.iommulab.klib.Bitmap;
import io.iommulab.klib.Bits;
import java.util.ArrayList;
import java.util.List;

/**
 * The register list of a DART for the {@code dart:regs} view, by layout family (dart-facts §1.3,
 * §1.4), with the variant's own offsets (lock, error, stream enables, TCR and TTBR arrays) taken
 * from its {@link DartHw} record. Display only: nothing here writes.
 */
final class DartRegisterMap {

    private DartRegisterMap() {
    }

    /** @return every register of a DART of this variant with {@code numStreams} streams, by offset order of the map */
    static List<RegisterView> of(DartHw hw, int numStreams) {
        List<RegisterView> out = new ArrayList<>();
        boolean t8110 = hw.identity().layout() == DartLayout.T8110;
        if (t8110) {
            t8110Globals(out, numStreams);
        } else {
            t8020Globals(out, numStreams);
        }
        for (int i = 0; i < (numStreams + 31) / 32; i++) {
            int base = i * 32;
            out.add(new RegisterView((t8110 ? "ENABLE_STREAMS[" : "STREAMS_ENABLE[") + i + "]", hw.global().enableStreams().get(i),
                    v -> "enabled " + streamsText(v, base)));
        }
        for (int sid = 0; sid < numStreams; sid++) {
            out.add(new RegisterView("TCR[" + sid + "]", hw.tcr().offset(sid), v -> decodeTcr(hw, v)));
        }
        for (int sid = 0; sid < numStreams; sid++) {
            for (int idx = 0; idx < hw.ttbr().count(); idx++) {
                String name = hw.ttbr().count() == 1 ? "TTBR[" + sid + "]" : "TTBR[" + sid + "][" + idx + "]";
                out.add(new RegisterView(name, hw.ttbr().offset(sid, idx), v -> decodeTtbr(hw, v)));
            }
        }
        return out;
    }

    private static void t8020Globals(List<RegisterView> out, int numStreams) {
        out.add(new RegisterView("PARAMS1", T8020Regs.PARAMS1, v -> "page shift " + Bits.get(T8020Regs.PARAMS1_PAGE_SHIFT, v)));
        out.add(new RegisterView("PARAMS2", T8020Regs.PARAMS2,
                v -> "bypass support " + ((v & T8020Regs.PARAMS2_BYPASS_SUPPORT) != 0 ? 1 : 0)));
        out.add(new RegisterView("STREAM_COMMAND", T8020Regs.STREAM_COMMAND,
                v -> ((v & T8020Regs.STREAM_COMMAND_BUSY) != 0 ? "BUSY" : "idle")
                        + ((v & T8020Regs.STREAM_COMMAND_INVALIDATE) != 0 ? " INVALIDATE" : "")));
        for (int i = 0; i < (numStreams + 31) / 32; i++) {
            int base = i * 32;
            out.add(new RegisterView("STREAM_SELECT[" + i + "]", T8020Regs.STREAM_SELECT + 4 * i, v -> "selected " + streamsText(v, base)));
        }
        out.add(new RegisterView("ERROR", T8020Regs.ERROR, v -> decodeError(DartLayout.T8020, v)));
        out.add(new RegisterView("ERROR_ADDR_LO", T8020Regs.ERROR_ADDR_LO, v -> ""));
        out.add(new RegisterView("ERROR_ADDR_HI", T8020Regs.ERROR_ADDR_HI, v -> ""));
        out.add(new RegisterView("CONFIG", T8020Regs.CONFIG, v -> (v & T8020Regs.CONFIG_LOCK) != 0 ? "LOCK" : "unlocked"));
    }

    private static void t8110Globals(List<RegisterView> out, int numStreams) {
        out.add(new RegisterView("PARAMS1", T8110Regs.PARAMS1, v -> "page shift " + Bits.get(T8110Regs.PARAMS1_PAGE_SHIFT, v)));
        out.add(new RegisterView("PARAMS2", T8110Regs.PARAMS2,
                v -> "bypass support " + ((v & T8110Regs.PARAMS2_BYPASS_SUPPORT) != 0 ? 1 : 0)));
        out.add(new RegisterView("PARAMS3", T8110Regs.PARAMS3, v -> "PA width " + Bits.get(T8110Regs.PARAMS3_PA_WIDTH, v)
                + ", VA width " + Bits.get(T8110Regs.PARAMS3_VA_WIDTH, v) + ", version " + Bits.get(T8110Regs.PARAMS3_VER_MAJ, v)
                + "." + Bits.get(T8110Regs.PARAMS3_VER_MIN, v)));
        out.add(new RegisterView("PARAMS4", T8110Regs.PARAMS4, v -> Bits.get(T8110Regs.PARAMS4_NUM_SIDS, v) + " SIDs, "
                + Bits.get(T8110Regs.PARAMS4_NUM_CLIENTS, v) + " clients"));
        out.add(new RegisterView("TLB_CMD", T8110Regs.TLB_CMD, v -> ((v & T8110Regs.TLB_CMD_BUSY) != 0 ? "BUSY" : "idle")
                + ", op " + Bits.get(T8110Regs.TLB_CMD_OP, v) + ", stream " + Bits.get(T8110Regs.TLB_CMD_STREAM, v)));
        out.add(new RegisterView("ERROR", T8110Regs.ERROR, v -> decodeError(DartLayout.T8110, v)));
        out.add(new RegisterView("ERROR_MASK", T8110Regs.ERROR_MASK, v -> v == 0 ? "all codes latched" : "masked codes 0x"
                + Integer.toHexString(Bits.get(T8110Regs.ERROR_CODE, v))));
        out.add(new RegisterView("ERROR_ADDR_LO", T8110Regs.ERROR_ADDR_LO, v -> ""));
        out.add(new RegisterView("ERROR_ADDR_HI", T8110Regs.ERROR_ADDR_HI, v -> ""));
        for (int i = 0; i < T8110Regs.ERROR_STREAMS_WORDS; i++) {
            int base = i * 32;
            out.add(new RegisterView("ERROR_STREAMS[" + i + "]", T8110Regs.ERROR_STREAMS + 4 * i, v -> "faulted " + streamsText(v, base)));
        }
        out.add(new RegisterView("PROTECT", T8110Regs.PROTECT, v -> (v & T8110Regs.PROTECT_TTBR_TCR) != 0 ? "TTBR/TCR locked" : "unlocked"));
    }

    /** @return "SIDs 0 1 5" / "none" for a 32-bit stream word covering SIDs {@code base..base+31} */
    static String streamsText(int word, int base) {
        if (word == 0) {
            return "none";
        }
        if (word == -1) {
            return "SIDs " + base + "-" + (base + 31);
        }
        long[] map = Bitmap.fromArr32(new int[] {word});
        StringBuilder sb = new StringBuilder("SIDs");
        Bitmap.forEachSetBit(map, 32, bit -> sb.append(' ').append(base + bit));
        return sb.toString();
    }

    /**
     * @return the TCR as m1n1 names it: "blocked" for 0 (Linux's tcr_disabled), "translate" (with
     *         "4-level"), "bypass", or "invalid" for translate and bypass together
     */
    static String decodeTcr(DartHw hw, int v) {
        boolean t8110 = hw.identity().layout() == DartLayout.T8110;
        int translate = t8110 ? T8110Regs.TCR_TRANSLATE_ENABLE : T8020Regs.TCR_TRANSLATE_ENABLE;
        int bypass = t8110 ? T8110Regs.TCR_BYPASS_DART : T8020Regs.TCR_BYPASS_DART;
        if (v == 0) {
            return "blocked";
        }
        if ((v & translate) != 0 && (v & bypass) != 0) {
            return "invalid (translate + bypass)";
        }
        if ((v & translate) != 0) {
            return t8110 && (v & T8110Regs.TCR_FOUR_LEVEL) != 0 ? "translate, 4-level" : "translate";
        }
        if ((v & bypass) != 0) {
            return "bypass";
        }
        return "unknown";
    }

    /** @return "VALID table 0x..." or "invalid" */
    static String decodeTtbr(DartHw hw, int v) {
        if ((v & hw.ttbr().valid()) == 0) {
            return v == 0 ? "invalid" : "invalid (0x" + Integer.toHexString(v) + ")";
        }
        return "VALID table 0x" + Long.toHexString(hw.ttbr().address(v));
    }

    /** @return "FLAG stream 3 code 0x4 (NO PTE FOR IOVA)" or "no error" */
    static String decodeError(DartLayout layout, int v) {
        boolean t8110 = layout == DartLayout.T8110;
        int flag = t8110 ? T8110Regs.ERROR_FLAG : T8020Regs.ERROR_FLAG;
        if ((v & flag) == 0) {
            return v == 0 ? "no error" : "no error latched (0x" + Integer.toHexString(v) + ")";
        }
        int stream = Bits.get(t8110 ? T8110Regs.ERROR_STREAM : T8020Regs.ERROR_STREAM, v);
        int code = Bits.get(t8110 ? T8110Regs.ERROR_CODE : T8020Regs.ERROR_CODE, v);
        return "FLAG stream " + stream + " code 0x" + Integer.toHexString(code) + " (" + codeName(t8110, code) + ")";
    }

    private static String codeName(boolean t8110, int code) {
        return t8110 ? T8110Family.codeName(code) : T8020Family.codeName(code);
    }
}
