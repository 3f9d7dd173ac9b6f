package io.iommulab.campaign.run;

import io.iommulab.api.DomainType;
import io.iommulab.api.IommuDomain;
import io.iommulab.api.Prot;
import io.iommulab.api.hw.TableWalk;
import io.iommulab.api.lab.Lab;
import io.iommulab.campaign.oracle.DomainModel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The first two of the three checks: at given IOVAs of a domain, {@code iova_to_phys} against the
 * oracle, and the hardware model's own walk of the tables ({@code Machine.hardwareWalk}) for every
 * stream of every master attached to the domain, physical address and rights.
 */
final class Probe {
    private final Lab lab;
    private final Facts facts;
    private final World world;
    private final Counters counters;

    Probe(Lab lab, Facts facts, World world, Counters counters) {
        this.lab = lab;
        this.facts = facts;
        this.world = world;
        this.counters = counters;
    }

    static long middle(long first, long last, long page) {
        return first + ((last - first) / 2 & -page);
    }

    /**
     * Checks {@code iovas} of a domain: {@code iova_to_phys} against the oracle, and the hardware
     * model's walk for every stream of every master attached to it.
     */
    Mismatch points(Step step, World.Current d, long... iovas) {
        List<Facts.Stream> streams = world.streamsOn(d.domain());
        for (long iova : iovas) {
            if (iova < 0) {
                continue;
            }
            Mismatch m = point(step, d, streams, iova);
            if (m != null) {
                return m;
            }
        }
        return null;
    }

    private Mismatch point(Step step, World.Current d, List<Facts.Stream> streams, long iova) {
        counters.points++;
        long pa = 0;
        int perms = 0;
        if (d.type() == DomainType.IDENTITY) {
            pa = iova;
            perms = Prot.READ | Prot.WRITE;
        } else if (d.model() != null) {
            DomainModel.Run r = d.model().lookup(iova);
            if (r != null) {
                pa = r.pa() + (iova - r.iova());
                perms = facts.perms(d.signature(), r.prot());
            }
        }
        long phys = d.domain().iovaToPhys(iova);
        if (phys != pa) {
            return step.fail("iova_to_phys", String.format("domain %d (%s) IOVA 0x%x: expected %s, got 0x%x", d.domain().id(),
                    d.type(), iova, pa == 0 ? "not mapped (0)" : "0x" + Long.toHexString(pa), phys));
        }
        for (Facts.Stream s : streams) {
            counters.walks++;
            TableWalk w = lab.machine().hardwareWalk(s.iommu(), s.sid(), iova);
            boolean good = pa == 0 ? !w.ok() : w.ok() && w.paddr() == pa && w.perms() == perms;
            if (!good) {
                return step.fail("walk", String.format("%s sid %d, domain %d (%s) IOVA 0x%x: the model's walk gives %s,"
                        + " expected %s", s.iommu(), s.sid(), d.domain().id(), d.type(), iova,
                        w.ok() ? String.format("0x%x perms %d", w.paddr(), w.perms()) : "a fault (" + w.fault() + ")",
                        pa == 0 ? "a fault" : String.format("0x%x perms %d", pa, perms)));
            }
        }
        return null;
    }

    /** After an attach or detach: the group's domain as the hardware now sees it, at a few addresses. */
    Mismatch sample(Step step, World.Current d, SplittableRandom rnd) {
        if (d.type() == DomainType.IDENTITY) {
            return points(step, d, facts.windowBase() + rnd.nextLong(facts.windowSize()));
        }
        if (d.model() == null || d.model().runCount() == 0) {
            return points(step, d, rnd.nextLong(1L << 20) << 12);
        }
        DomainModel.Run r = d.model().pick(rnd.nextLong());
        return points(step, d, r.iova(), r.end() - d.model().minPage(), r.end());
    }

    /** Every mapping of every domain: the first and last page of each run (at most 256 runs a domain). */
    Mismatch checkAll(Step step, SplittableRandom rnd) {
        step.ran("check");
        List<World.Current> all = new ArrayList<>();
        for (World.Slot s : world.slots) {
            if (s != null) {
                all.add(world.current(s));
            }
        }
        for (Facts.Group g : facts.groups().values()) {
            IommuDomain d = world.defaults.get(g.id());
            all.add(new World.Current(d, g.defaultType(), world.defaultModels.get(g.id()), g.signature()));
        }
        for (World.Current d : all) {
            if (d.model() == null) {
                Mismatch m = sample(step, d, rnd);
                if (m != null) {
                    return m;
                }
                continue;
            }
            int n = d.model().runCount();
            int stride = Math.max(1, n / 256);
            int i = 0;
            for (DomainModel.Run r : d.model().runs()) {
                if (i++ % stride != 0) {
                    continue;
                }
                Mismatch m = points(step, d, r.iova(), r.end() - d.model().minPage());
                if (m != null) {
                    return m;
                }
            }
        }
        return null;
    }
}
