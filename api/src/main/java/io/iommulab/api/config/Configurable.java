package io.iommulab.api.config;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A component whose settings are its Config Admin configuration over framework properties over
 * defaults ({@code io.iommulab.lib.config.Settings}), and which applies a changed configuration while it runs (a
 * {@code @Modified} method: it is not deactivated). Registered beside the component's own service,
 * so that the shell ({@code iommu:config}) lists and changes every such component's settings.
 * A configuration with a bad value is refused as a whole: the component logs the PID, the key and
 * the value, and nothing changes.
 */
@ProviderType
public interface Configurable {

    /** @return the configuration PID (also the prefix of the framework properties, {@code PID.KEY}) */
    String pid();

    /** @return every setting with the value in effect and its source, in the component's order (no descriptions) */
    List<SettingDTO> settings();

    /**
     * Reads a value as the component would read it from its configuration, changing nothing.
     *
     * @return the value's text in the form listings show ({@code yes} gives {@code true})
     * @throws io.iommulab.api.error.IommuException EINVAL naming the PID, the key and the value when the
     *         component would refuse it, or the key when it has no such setting
     */
    String check(String key, String value);
}
