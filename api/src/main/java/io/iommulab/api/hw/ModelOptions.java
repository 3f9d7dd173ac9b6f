package io.iommulab.api.hw;

import io.iommulab.api.error.IommuException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One model instance's options ({@link ModelContext#options()}), read typed, so every model refuses
 * a bad option the same way: an {@link IommuException} EINVAL
 * {@code "<node>: <model> model: option <key>=<value> <why>"} naming the node, the option and the
 * value. A model that throws it from {@link IommuModelFactory#create} leaves its node unmodelled
 * with that message as the reason. An option that is absent reads as the given default.
 */
@ProviderType
public interface ModelOptions {

    /** @return every option, key → value (a bare key in {@code iommulab,model-options} is {@code "true"}) */
    Map<String, String> all();

    /** @return true if the option was given */
    boolean has(String key);

    /**
     * Refuses options the model does not know.
     *
     * @throws IommuException EINVAL {@code "<node>: <model> model: unknown option <key>=<value> (known: ...)"}
     *         for the first unknown key
     */
    void requireKnown(Collection<String> known);

    /**
     * @return the option as a boolean, read as {@code io.iommulab.lib.cmdline.Kstrtobool} reads one
     *         ({@code 1/0, y/n, yes/no, true/false, on/off}, any case)
     * @throws IommuException EINVAL "... is not true or false"
     */
    boolean bool(String key, boolean def);

    /**
     * @return the option as a number, read as {@code io.iommulab.lib.cmdline.Memparse} reads one (decimal,
     *         {@code 0x} hex, a {@code K}/{@code M}/... suffix), in {@code min..max}
     * @throws IommuException EINVAL "... is not a number in min..max"
     */
    int integer(String key, int def, int min, int max);

    /**
     * @return the option as a number ({@code io.iommulab.lib.cmdline.Memparse}) in {@code min..max}
     * @throws IommuException EINVAL "... is not a number in min..max"
     */
    long longInteger(String key, long def, long min, long max);

    /**
     * @return the option as a number that is one of {@code allowed}
     * @throws IommuException EINVAL "... is not one of [a, b, ...]"
     */
    int oneOf(String key, int def, List<Integer> allowed);

    /**
     * @return the option as a comma-separated, non-empty list of words from {@code allowed} (any case,
     *         blanks around words ignored), in the order of {@code allowed}, without repeats
     * @throws IommuException EINVAL "... is not a non-empty list of a, b, ..."
     */
    List<String> subsetOf(String key, List<String> def, List<String> allowed);

    /**
     * @return the refusal of option {@code key} (which was given) for a reason of the model's own,
     *         e.g. {@code invalid("smrs", "does not apply with stream-indexing=true")}
     */
    IommuException invalid(String key, String why);
}
