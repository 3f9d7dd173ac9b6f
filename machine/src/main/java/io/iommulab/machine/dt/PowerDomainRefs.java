package io.iommulab.machine.dt;

import io.iommulab.api.dt.DeviceTree;
import io.iommulab.api.dt.DtNode;
import io.iommulab.api.error.DeviceTreeException;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code power-domains} references of a board, checked before anything is built from them.
 * Every node's are read, disabled ones too: the machine builds the whole domain hierarchy, and a
 * disabled provider is still a domain ({@code machine:power} lists it as unavailable).
 *
 * <ul>
 * <li>Each entry names an existing provider with its {@code #power-domain-cells} arguments. A 0
 *     phandle is refused: genpd_dev_pm_attach would fail the device's probe with ENOENT, and the
 *     Apple PMGR driver its subdomain (of_genpd_add_subdomain finds no provider).
 * <li>Providers' own {@code power-domains} (their parents) form no cycle: genpd refuses a
 *     subdomain that is already an ancestor (genpd_add_subdomain, -EINVAL).
 * </ul>
 *
 * <p>Linear in the size of the tree: a hierarchy shared by many domains (every real PMGR's) is
 * walked once, not once per path through it, and without recursion, so depth costs no stack.
 */
public final class PowerDomainRefs {
    private static final String PROP = "power-domains";

    private PowerDomainRefs() {
    }

    /** @throws DeviceTreeException naming node and property: a 0 or dangling phandle, a cell mismatch, a cycle */
    public static void check(DeviceTree tree) {
        Map<DtNode, List<DtNode>> parents = new LinkedHashMap<>(); // tree order: the first cycle in it is named
        for (DtNode n : tree.allNodes()) {
            if (n.hasProperty(PROP)) {
                List<DtNode> ps = new ArrayList<>();
                for (int[] e : DtBindings.powerDomainSpecs(tree, n)) {
                    ps.add(tree.byPhandle(e[0]).orElseThrow());
                }
                parents.put(n, ps);
            }
        }
        checkNoCycle(tree, parents);
    }

    /** Depth-first with three colours; the path on the stack is the cycle's when an edge meets it. */
    private static void checkNoCycle(DeviceTree tree, Map<DtNode, List<DtNode>> parents) {
        Map<DtNode, Boolean> done = new HashMap<>(); // false: on the current path, true: finished
        for (DtNode root : parents.keySet()) {
            if (done.containsKey(root)) {
                continue;
            }
            Deque<DtNode> path = new ArrayDeque<>();
            Deque<Iterator<DtNode>> next = new ArrayDeque<>();
            path.push(root);
            next.push(parents.get(root).iterator());
            done.put(root, false);
            while (!path.isEmpty()) {
                if (!next.peek().hasNext()) {
                    done.put(path.pop(), true);
                    next.pop();
                    continue;
                }
                DtNode p = next.peek().next();
                Boolean state = done.get(p);
                if (state == null) {
                    done.put(p, false);
                    path.push(p);
                    next.push(parents.getOrDefault(p, List.of()).iterator());
                } else if (!state) {
                    throw cycle(tree, path, p);
                }
            }
        }
    }

    private static DeviceTreeException cycle(DeviceTree tree, Deque<DtNode> path, DtNode again) {
        List<DtNode> inOrder = new ArrayList<>(path);
        Collections.reverse(inOrder);
        StringBuilder sb = new StringBuilder(PROP + ": expected a hierarchy of domains, found a cycle ");
        for (DtNode n : inOrder.subList(inOrder.indexOf(again), inOrder.size())) {
            sb.append(n.path()).append(" -> ");
        }
        return new DeviceTreeException(tree.source(), again.path(), sb.append(again.path()).toString());
    }
}
