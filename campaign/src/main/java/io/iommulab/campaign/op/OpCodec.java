package io.iommulab.campaign.op;

import io.iommulab.api.DomainType;
import io.iommulab.api.Prot;
import io.iommulab.api.dma.DmaDirection;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.lib.cmdline.Memparse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The text form of an {@link Op}: one line, the operation's name, then {@code key=value} words
 * (numbers in hex, masters and IOMMUs as DT paths, which hold no spaces):
 *
 * <pre>
 * alloc slot=2 dev=/soc/usb@382280000 type=unmanaged
 * map slot=2 iova=0x100000 size=0x8000 pa=0x4000 prot=rw
 * dma dev=/soc/usb@382280000 stream=1 write at=run:3+0x10 len=16
 * sg-map dev=/soc/usb@382280000 handle=4 buffers=0x8000+0x200,0x10040+0x3000 dir=to-device
 * </pre>
 *
 * Numbers are read as the shells read them ({@link Memparse}). A line that is not an operation is
 * an EINVAL naming the place, the word and what was expected.
 */
public final class OpCodec {

    private OpCodec() {
    }

    /** @return the line of {@code op} */
    public static String format(Op op) {
        if (op instanceof Op.Alloc a) {
            return "alloc slot=" + a.slot() + " dev=" + a.dev() + " type=" + type(a.type());
        } else if (op instanceof Op.Free f) {
            return "free slot=" + f.slot();
        } else if (op instanceof Op.Attach a) {
            return "attach slot=" + a.slot() + " dev=" + a.dev();
        } else if (op instanceof Op.Detach d) {
            return "detach slot=" + d.slot() + " dev=" + d.dev();
        } else if (op instanceof Op.Map m) {
            return "map slot=" + m.slot() + " iova=" + hex(m.iova()) + " size=" + hex(m.size()) + " pa=" + hex(m.pa())
                    + " prot=" + prot(m.prot());
        } else if (op instanceof Op.Unmap u) {
            return "unmap slot=" + u.slot() + " iova=" + hex(u.iova()) + " size=" + hex(u.size());
        } else if (op instanceof Op.DmaMap m) {
            return "dma-map dev=" + m.dev() + " handle=" + m.handle() + " pa=" + hex(m.pa()) + " len=" + hex(m.len())
                    + " dir=" + dir(m.dir());
        } else if (op instanceof Op.SgMap sg) {
            StringBuilder b = new StringBuilder("sg-map dev=").append(sg.dev()).append(" handle=").append(sg.handle())
                    .append(" buffers=");
            for (int i = 0; i < sg.buffers().size(); i++) {
                Op.Buffer e = sg.buffers().get(i);
                b.append(i == 0 ? "" : ",").append(hex(e.pa())).append('+').append(hex(e.len()));
            }
            return b.append(" dir=").append(dir(sg.dir())).toString();
        } else if (op instanceof Op.DmaUnmap u) {
            return "dma-unmap dev=" + u.dev() + " handle=" + u.handle();
        } else if (op instanceof Op.Flush f) {
            return "flush dev=" + f.dev();
        } else if (op instanceof Op.Dma d) {
            return "dma dev=" + d.dev() + " stream=" + d.stream() + (d.write() ? " write" : " read") + " at=" + target(d.at())
                    + " len=" + d.len();
        } else if (op instanceof Op.Check) {
            return "check";
        } else if (op instanceof Op.LiveUpdate l) {
            return "liveupdate bundle=" + l.bundle();
        } else if (op instanceof Op.Inject i) {
            return "inject iommu=" + i.iommu() + " point=" + i.point() + " count=" + i.count();
        }
        throw new IllegalArgumentException("not an operation: " + op);
    }

    /**
     * @param where names the line in messages ({@code campaign.replay:12})
     * @throws IommuException EINVAL naming {@code where}, the word and what was expected
     */
    public static Op parse(String where, String line) {
        String[] words = line.strip().split("\\s+");
        String name = words[0];
        Map<String, String> kv = new LinkedHashMap<>();
        List<String> flags = new ArrayList<>();
        for (int i = 1; i < words.length; i++) {
            int eq = words[i].indexOf('=');
            if (eq > 0) {
                if (kv.put(words[i].substring(0, eq), words[i].substring(eq + 1)) != null) {
                    throw bad(where, words[i], "each key once");
                }
            } else {
                flags.add(words[i]);
            }
        }
        Args a = new Args(where, name, kv, flags);
        Op op = switch (name) {
            case "alloc" -> new Op.Alloc(a.slot(), a.text("dev"), a.type());
            case "free" -> new Op.Free(a.slot());
            case "attach" -> new Op.Attach(a.slot(), a.text("dev"));
            case "detach" -> new Op.Detach(a.slot(), a.text("dev"));
            case "map" -> new Op.Map(a.slot(), a.number("iova"), a.number("size"), a.number("pa"), a.prot());
            case "unmap" -> new Op.Unmap(a.slot(), a.number("iova"), a.number("size"));
            case "dma-map" -> new Op.DmaMap(a.text("dev"), a.handle(), a.number("pa"), a.number("len"), a.dir());
            case "sg-map" -> new Op.SgMap(a.text("dev"), a.handle(), a.buffers(), a.dir());
            case "dma-unmap" -> new Op.DmaUnmap(a.text("dev"), a.handle());
            case "flush" -> new Op.Flush(a.text("dev"));
            case "dma" -> new Op.Dma(a.text("dev"), (int) a.bounded("stream", 0, 1 << 16), a.access(), a.target(),
                    (int) a.bounded("len", 1, 1 << 20));
            case "check" -> new Op.Check();
            case "liveupdate" -> new Op.LiveUpdate(a.text("bundle"));
            case "inject" -> new Op.Inject(a.text("iommu"), a.text("point"), a.bounded("count", -1, Long.MAX_VALUE));
            default -> throw bad(where, name, "an operation (alloc, free, attach, detach, map, unmap, dma-map, sg-map,"
                    + " dma-unmap, flush, dma, check, liveupdate, inject)");
        };
        a.done();
        return op;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    static String type(DomainType t) {
        return t.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static String dir(DmaDirection d) {
        return d.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** {@code r}, {@code w}, {@code rw}, {@code none}, with {@code +0x..} for any other bit */
    static String prot(int prot) {
        String rw = ((prot & Prot.READ) != 0 ? "r" : "") + ((prot & Prot.WRITE) != 0 ? "w" : "");
        int rest = prot & ~(Prot.READ | Prot.WRITE);
        String base = rw.isEmpty() ? "none" : rw;
        return rest == 0 ? base : base + "+" + hex(rest);
    }

    static String target(Op.Target t) {
        return switch (t.kind()) {
            case IOVA -> "iova:" + hex(t.offset());
            case HANDLE -> "handle:" + t.index() + "+" + hex(t.offset());
            case RUN -> "run:" + t.index() + "+" + hex(t.offset());
        };
    }

    private static IommuException bad(String where, String word, String expected) {
        return new IommuException(Errno.EINVAL, where + ": expected " + expected + ", found '" + word + "'");
    }

    /** The words of one line, taken one by one; what is left over is an error. */
    private static final class Args {
        private final String where;
        private final String op;
        private final Map<String, String> kv;
        private final List<String> flags;

        Args(String where, String op, Map<String, String> kv, List<String> flags) {
            this.where = where;
            this.op = op;
            this.kv = kv;
            this.flags = flags;
        }

        String text(String key) {
            String v = kv.remove(key);
            if (v == null || v.isEmpty()) {
                throw bad(where, op, key + "=... for " + op);
            }
            return v;
        }

        long number(String key) {
            return Memparse.parse(where + ": " + key, text(key)).value();
        }

        /** -1 (every occurrence, for inject's count) is the one signed number a line may hold */
        long bounded(String key, long min, long max) {
            String v = text(key);
            if (min < 0 && v.equals("-1")) {
                return -1;
            }
            return Memparse.parse(where + ": " + key, v).within(Math.max(0, min), max);
        }

        int slot() {
            return (int) Memparse.parse(where + ": slot", text("slot")).within(0, 63);
        }

        int handle() {
            return (int) Memparse.parse(where + ": handle", text("handle")).within(0, 63);
        }

        DomainType type() {
            String t = text("type");
            try {
                return DomainType.parse(t);
            } catch (IommuException e) {
                throw bad(where, "type=" + t, "type=blocked, identity, unmanaged, dma or dma-fq");
            }
        }

        DmaDirection dir() {
            String d = text("dir");
            for (DmaDirection x : DmaDirection.values()) {
                if (OpCodec.dir(x).equals(d)) {
                    return x;
                }
            }
            throw bad(where, "dir=" + d, "dir=bidirectional, to-device or from-device");
        }

        int prot() {
            String p = text("prot");
            int plus = p.indexOf('+');
            String base = plus < 0 ? p : p.substring(0, plus);
            int v = switch (base) {
                case "r" -> Prot.READ;
                case "w" -> Prot.WRITE;
                case "rw" -> Prot.READ | Prot.WRITE;
                case "none" -> 0;
                default -> throw bad(where, "prot=" + p, "prot=r, w, rw or none, optionally +0x.. for other IOMMU_* bits");
            };
            if (plus >= 0) {
                v |= (int) Memparse.parse(where + ": prot", p.substring(plus + 1)).within(0, 0xff);
            }
            return v;
        }

        boolean access() {
            boolean r = flags.remove("read");
            boolean w = flags.remove("write");
            if (r == w) {
                throw bad(where, op, "one of read or write");
            }
            return w;
        }

        Op.Target target() {
            String t = text("at");
            int colon = t.indexOf(':');
            String kind = colon < 0 ? "" : t.substring(0, colon);
            String rest = colon < 0 ? t : t.substring(colon + 1);
            try {
                if (kind.equals("iova")) {
                    return Op.Target.iova(Memparse.parse(where + ": at", rest).value());
                }
                int plus = rest.indexOf('+');
                if (plus > 0 && (kind.equals("handle") || kind.equals("run"))) {
                    long index = Memparse.parse(where + ": at", rest.substring(0, plus)).within(0, Integer.MAX_VALUE);
                    long off = Memparse.parse(where + ": at", rest.substring(plus + 1)).value();
                    return new Op.Target(kind.equals("handle") ? Op.Target.Kind.HANDLE : Op.Target.Kind.RUN, index, off);
                }
            } catch (IommuException e) {
                throw bad(where, "at=" + t, "at=iova:ADDR, at=handle:N+OFFSET or at=run:N+OFFSET (" + e.getMessage() + ")");
            }
            throw bad(where, "at=" + t, "at=iova:ADDR, at=handle:N+OFFSET or at=run:N+OFFSET");
        }

        List<Op.Buffer> buffers() {
            String b = text("buffers");
            List<Op.Buffer> out = new ArrayList<>();
            for (String e : b.split(",")) {
                int plus = e.indexOf('+');
                if (plus <= 0) {
                    throw bad(where, "buffers=" + b, "buffers=PA+LEN,PA+LEN,...");
                }
                out.add(new Op.Buffer(Memparse.parse(where + ": buffers", e.substring(0, plus)).value(),
                        Memparse.parse(where + ": buffers", e.substring(plus + 1)).within(1, 1L << 30)));
            }
            if (out.size() > 64) {
                throw bad(where, "buffers=" + b, "at most 64 buffers");
            }
            return out;
        }

        void done() {
            if (!kv.isEmpty()) {
                String k = kv.keySet().iterator().next();
                throw bad(where, k + "=" + kv.get(k), "no " + k + " for " + op);
            }
            if (!flags.isEmpty()) {
                throw bad(where, flags.get(0), "key=value words for " + op);
            }
        }
    }
}
