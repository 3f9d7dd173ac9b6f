package io.iommulab.machine.hosting;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.api.hw.ModelOptions;
import io.iommulab.lib.cmdline.Kstrtobool;
import io.iommulab.lib.cmdline.Memparse;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The one reader of model options every model uses ({@link ModelOptions}): a node's options, the
 * model they are for, and the refusals worded once, {@code "<node>: <model> model: option
 * <key>=<value> <why>"}. Public so that a model's unit tests can decode options without a machine.
 */
public final class NodeModelOptions implements ModelOptions {

    private final String node;
    private final String model;
    private final Map<String, String> options;

    /**
     * @param node    the node path, for messages
     * @param model   the model name (its factory's), for messages
     * @param options key → value
     */
    public NodeModelOptions(String node, String model, Map<String, String> options) {
        this.node = node;
        this.model = model;
        this.options = Map.copyOf(options);
    }

    @Override
    public Map<String, String> all() {
        return options;
    }

    @Override
    public boolean has(String key) {
        return options.containsKey(key);
    }

    @Override
    public void requireKnown(Collection<String> known) {
        for (String key : new TreeSet<>(options.keySet())) {
            if (!known.contains(key)) {
                throw new IommuException(Errno.EINVAL, String.format("%s: %s model: unknown option %s=%s (known: %s)",
                        node, model, key, options.get(key), String.join(", ", new TreeSet<>(known))));
            }
        }
    }

    @Override
    public boolean bool(String key, boolean def) {
        String v = options.get(key);
        if (v == null) {
            return def;
        }
        if (!v.isBlank()) {
            try {
                return Kstrtobool.parse(key, v, def); // as every yes/no a person types
            } catch (IommuException e) {
                // refused below, in this reader's words
            }
        }
        throw invalid(key, "is not true or false");
    }

    @Override
    public int integer(String key, int def, int min, int max) {
        return (int) longInteger(key, def, min, max);
    }

    @Override
    public long longInteger(String key, long def, long min, long max) {
        String v = options.get(key);
        if (v == null) {
            return def;
        }
        Long n = number(key, v);
        if (n != null && n >= min && n <= max) {
            return n;
        }
        throw invalid(key, String.format("is not a number in %d..%d", min, max));
    }

    @Override
    public int oneOf(String key, int def, List<Integer> allowed) {
        String v = options.get(key);
        if (v == null) {
            return def;
        }
        Long n = number(key, v);
        if (n != null && n == n.intValue() && allowed.contains(n.intValue())) {
            return n.intValue();
        }
        throw invalid(key, "is not one of " + allowed);
    }

    @Override
    public List<String> subsetOf(String key, List<String> def, List<String> allowed) {
        String v = options.get(key);
        if (v == null) {
            return def;
        }
        List<String> given = new ArrayList<>();
        for (String word : v.split(",", -1)) {
            String w = word.trim().toLowerCase(Locale.ROOT);
            if (!allowed.contains(w)) {
                throw invalid(key, "is not a non-empty list of " + String.join(", ", allowed));
            }
            given.add(w);
        }
        return allowed.stream().filter(given::contains).toList();
    }

    /**
     * A number as every command, file and setting reads one ({@link Memparse}: {@code 16K}, {@code 0x4000},
     * {@code 16384}), so an option and {@code machine:mem} agree on what a number is.
     *
     * @return the number, or null when the text is none (the caller refuses it with the accepted values)
     */
    private static Long number(String key, String text) {
        try {
            return Memparse.parse(key, text).value();
        } catch (IommuException e) {
            return null;
        }
    }

    @Override
    public IommuException invalid(String key, String why) {
        return new IommuException(Errno.EINVAL, String.format("%s: %s model: option %s=%s %s", node, model, key,
                options.get(key), why));
    }
}
