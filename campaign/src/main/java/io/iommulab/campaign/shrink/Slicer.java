package io.iommulab.campaign.shrink;

import io.iommulab.campaign.op.Op;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToIntFunction;

/**
 * A dependency slice of a failing list, tried before delta debugging: the last operation, and
 * backwards every operation that touches a domain slot or a group something already kept
 * touches (what a DMA sees depends on the domain its group is on and on what that domain maps),
 * every fault injection and live update. One replay says whether the slice fails as the whole list
 * did; when it does, ddmin starts from it, which saves most replays on a long tail.
 */
public final class Slicer {

    private Slicer() {
    }

    /**
     * @param groupOf a master's group, -1 for a master it does not know
     * @return the slice, in the list's order
     */
    public static List<Op> slice(List<Op> ops, ToIntFunction<String> groupOf) {
        Set<String> keys = new HashSet<>();
        boolean[] keep = new boolean[ops.size()];
        for (int i = ops.size() - 1; i >= 0; i--) {
            Op op = ops.get(i);
            Set<String> k = keys(op, groupOf);
            boolean always = op instanceof Op.Inject || op instanceof Op.LiveUpdate;
            if (i == ops.size() - 1 || always || k.stream().anyMatch(keys::contains)) {
                keep[i] = true;
                keys.addAll(k);
            }
        }
        List<Op> out = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            if (keep[i]) {
                out.add(ops.get(i));
            }
        }
        return out;
    }

    private static Set<String> keys(Op op, ToIntFunction<String> groupOf) {
        Set<String> k = new HashSet<>();
        if (op instanceof Op.Alloc a) {
            k.add("slot:" + a.slot());
        } else if (op instanceof Op.Free f) {
            k.add("slot:" + f.slot());
        } else if (op instanceof Op.Attach a) {
            k.add("slot:" + a.slot());
            k.add("group:" + groupOf.applyAsInt(a.dev()));
        } else if (op instanceof Op.Detach d) {
            k.add("slot:" + d.slot());
            k.add("group:" + groupOf.applyAsInt(d.dev()));
        } else if (op instanceof Op.Map m) {
            k.add("slot:" + m.slot());
        } else if (op instanceof Op.Unmap u) {
            k.add("slot:" + u.slot());
        } else if (op instanceof Op.DmaMap d) {
            k.add("group:" + groupOf.applyAsInt(d.dev()));
        } else if (op instanceof Op.SgMap s) {
            k.add("group:" + groupOf.applyAsInt(s.dev()));
        } else if (op instanceof Op.DmaUnmap u) {
            k.add("group:" + groupOf.applyAsInt(u.dev()));
        } else if (op instanceof Op.Flush f) {
            k.add("group:" + groupOf.applyAsInt(f.dev()));
        } else if (op instanceof Op.Dma d) {
            k.add("group:" + groupOf.applyAsInt(d.dev()));
        }
        return k;
    }
}
