package io.iommulab.lib.cmdline;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import java.util.Locale;

/**
 * A yes/no option as a person writes it (a framework property, a module parameter), read the way
 * Linux's {@code kstrtobool()} ({@code lib/kstrtox.c}) reads {@code arm-smmu.disable_bypass=0}:
 * {@code 1}, {@code y}, {@code yes}, {@code true}, {@code on} are true; {@code 0}, {@code n},
 * {@code no}, {@code false}, {@code off} are false, in either case, spaces around ignored. Where
 * kstrtobool looks at the first letters only (so {@code yellow} is true), this reader wants the
 * whole word and refuses anything else with EINVAL naming the option and the text.
 */
public final class Kstrtobool {

    private static final String FORMS = "1/0, y/n, yes/no, true/false, on/off";

    private Kstrtobool() {
    }

    /**
     * @param name   the option, for the message (e.g. {@code iommulab.arm-smmu.disable-bypass})
     * @param text   the text as given; null or blank means "not set"
     * @param absent the value when it is not set
     * @return the option's value
     * @throws IommuException EINVAL "{@code NAME 'maybe' is not a boolean (1/0, y/n, ...)}"
     */
    public static boolean parse(String name, String text, boolean absent) {
        if (text == null || text.isBlank()) {
            return absent;
        }
        switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "1": case "y": case "yes": case "true": case "on": return true;
            case "0": case "n": case "no": case "false": case "off": return false;
            default:
                throw new IommuException(Errno.EINVAL, name + " '" + text + "' is not a boolean (" + FORMS + ")");
        }
    }
}
