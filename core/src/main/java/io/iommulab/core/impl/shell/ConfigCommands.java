package io.iommulab.core.impl.shell;

import io.iommulab.api.config.Configurable;
import io.iommulab.api.config.SettingDTO;
import io.iommulab.api.config.Source;
import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.lib.config.Settings;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

/**
 * {@code iommu:config}: the settings of every {@link Configurable} component (the core's policy,
 * the SMMU driver's options) with their values, sources and metatype descriptions, and changes
 * made through Config Admin, as a {@code PID.cfg} file in the deploy folder makes them: the
 * component applies them while it runs. A value is checked by the component before anything is
 * written, so a refused one changes nothing; a change waits until the component has applied it.
 */
@Component(service = ConfigCommands.class, property = {"osgi.command.scope=iommu", "osgi.command.function=config"})
public final class ConfigCommands {

    /** how long a change waits for the component to apply it */
    static final long APPLY_MS = 10_000;
    /** how long {@code --wait} waits */
    static final long WAIT_MS = 60_000;
    private static final long POLL_MS = 10;

    private final ConfigurationAdmin cm;
    private final MetaTypeService metatype;
    /** each configurable with the bundle that registered it (its metatype's) */
    private final Map<Configurable, Bundle> configurables = new LinkedHashMap<>();

    @Activate
    public ConfigCommands(@Reference ConfigurationAdmin cm, @Reference MetaTypeService metatype) {
        this.cm = cm;
        this.metatype = metatype;
    }

    @Reference(service = Configurable.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "unbindConfigurable")
    void bindConfigurable(Configurable c, ServiceReference<Configurable> ref) {
        synchronized (configurables) {
            configurables.put(c, ref.getBundle());
        }
    }

    void unbindConfigurable(Configurable c) {
        synchronized (configurables) {
            configurables.remove(c);
        }
    }

    @Descriptor("every setting of the core and the drivers: value, where it comes from (default, framework property,"
            + " configuration), what a change affects, description")
    public List<SettingDTO> config() {
        List<SettingDTO> out = new ArrayList<>();
        for (Map.Entry<Configurable, Bundle> e : pids().values()) {
            out.addAll(described(e.getKey(), e.getValue()));
        }
        return out;
    }

    @Descriptor("the settings of one configuration PID")
    public List<SettingDTO> config(@Descriptor("configuration PID, e.g. iommulab.iommu or iommulab.arm_smmu") String pid) {
        Map.Entry<Configurable, Bundle> c = find(pid);
        return described(c.getKey(), c.getValue());
    }

    @Descriptor("one setting; with --unset, take it out of the configuration (the framework property or the default"
            + " applies again)")
    public SettingDTO config(
            @Descriptor("remove the key from the configuration") @Parameter(names = "--unset", presentValue = "true",
                    absentValue = "false") boolean unset,
            @Descriptor("wait for a value (give one)") @Parameter(names = "--wait", presentValue = "true",
                    absentValue = "false") boolean wait,
            @Descriptor("configuration PID") String pid,
            @Descriptor("key, e.g. strict") String key) {
        if (wait) {
            throw new IommuException(Errno.EINVAL, "option --wait: give the VALUE to wait for (iommu:config --wait PID KEY VALUE)");
        }
        Map.Entry<Configurable, Bundle> c = find(pid);
        setting(c.getKey(), key); // an unknown key is refused before anything is written
        if (unset) {
            unset(pid, key);
            return await(pid, key, s -> !Source.CONFIGURATION.text().equals(s.source()), APPLY_MS, "take " + key + " out");
        }
        return await(pid, key, s -> true, 0, "show " + key);
    }

    @Descriptor("change a setting while the machine runs (through Config Admin, as a PID.cfg file in the deploy folder"
            + " does), or with --wait wait until it has the value (at most 60 s)")
    public SettingDTO config(
            @Descriptor("(not with a value)") @Parameter(names = "--unset", presentValue = "true",
                    absentValue = "false") boolean unset,
            @Descriptor("wait for the value instead of setting it") @Parameter(names = "--wait", presentValue = "true",
                    absentValue = "false") boolean wait,
            @Descriptor("configuration PID") String pid,
            @Descriptor("key, e.g. strict") String key,
            @Descriptor("value, e.g. false") String value) {
        if (unset) {
            throw new IommuException(Errno.EINVAL, "option --unset takes no VALUE (iommu:config --unset PID KEY)");
        }
        Configurable c = find(pid).getKey();
        String text = c.check(key, value);
        if (wait) {
            return await(pid, key, s -> text.equals(s.value()), WAIT_MS, "reach " + key + "=" + text);
        }
        set(pid, key, text);
        return await(pid, key, s -> text.equals(s.value()) && Source.CONFIGURATION.text().equals(s.source()), APPLY_MS,
                "apply " + key + "=" + text);
    }

    private void set(String pid, String key, String text) {
        try {
            Configuration cfg = cm.getConfiguration(pid, "?");
            Hashtable<String, Object> props = copy(cfg.getProperties());
            props.put(key, text);
            cfg.update(props);
        } catch (IOException e) {
            throw new IommuException(Errno.EIO, pid + ": the configuration could not be stored: " + e.getMessage(), e);
        }
    }

    /**
     * Takes {@code key} out. A configuration left without a setting is deleted, unless a file in
     * the deploy folder holds it: deleting it would delete the file, so it is kept, emptied.
     */
    private void unset(String pid, String key) {
        try {
            Configuration[] found = cm.listConfigurations("(service.pid=" + pid + ")");
            if (found == null) {
                return;
            }
            Configuration cfg = found[0];
            Hashtable<String, Object> props = copy(cfg.getProperties());
            if (props.remove(key) == null) {
                return;
            }
            boolean settingsLeft = props.keySet().stream().anyMatch(k -> k.indexOf('.') < 0);
            if (!settingsLeft && !props.containsKey(Settings.FILEINSTALL_FILENAME)) {
                cfg.delete();
            } else {
                cfg.update(props);
            }
        } catch (IOException | org.osgi.framework.InvalidSyntaxException e) {
            throw new IommuException(Errno.EIO, pid + ": the configuration could not be stored: " + e.getMessage(), e);
        }
    }

    private static Hashtable<String, Object> copy(Dictionary<String, Object> d) {
        Hashtable<String, Object> out = new Hashtable<>();
        if (d != null) {
            for (Enumeration<String> keys = d.keys(); keys.hasMoreElements();) {
                String k = keys.nextElement();
                out.put(k, d.get(k));
            }
        }
        return out;
    }

    /** Waits until the component of {@code pid} shows {@code key} as {@code done} says (found again each time: it may be replaced). */
    private SettingDTO await(String pid, String key, Predicate<SettingDTO> done, long timeoutMs, String what) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            Map.Entry<Configurable, Bundle> c = find(pid);
            SettingDTO s = setting(c.getKey(), key);
            if (done.test(s)) {
                return described(c.getKey(), c.getValue()).stream().filter(d -> d.key().equals(key)).findFirst().orElse(s);
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IommuException(Errno.ETIMEDOUT, pid + " did not " + what + " within " + timeoutMs / 1000 + " s (it"
                        + " has " + key + "=" + s.value() + " from " + s.source() + "; a refused configuration is logged)");
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IommuException(Errno.ETIMEDOUT, "interrupted while waiting for " + pid + " to " + what);
            }
        }
    }

    private static SettingDTO setting(Configurable c, String key) {
        for (SettingDTO s : c.settings()) {
            if (s.key().equals(key)) {
                return s;
            }
        }
        throw new IommuException(Errno.EINVAL, c.pid() + " has no setting '" + key + "' (its settings: "
                + String.join(", ", c.settings().stream().map(SettingDTO::key).toList()) + ")");
    }

    /** @return the configurables by PID, sorted */
    private Map<String, Map.Entry<Configurable, Bundle>> pids() {
        Map<String, Map.Entry<Configurable, Bundle>> out = new java.util.TreeMap<>();
        synchronized (configurables) {
            for (Map.Entry<Configurable, Bundle> e : configurables.entrySet()) {
                out.put(e.getKey().pid(), Map.entry(e.getKey(), e.getValue()));
            }
        }
        return out;
    }

    /** @throws IommuException ENOENT naming the PIDs there are */
    private Map.Entry<Configurable, Bundle> find(String pid) {
        Map<String, Map.Entry<Configurable, Bundle>> all = pids();
        Map.Entry<Configurable, Bundle> c = all.get(pid.trim());
        if (c == null) {
            throw new IommuException(Errno.ENOENT, "argument PID: no component is configured by '" + pid + "' (PIDs: "
                    + String.join(", ", all.keySet()) + ")");
        }
        return c;
    }

    /** @return the settings of {@code c} with the descriptions of its bundle's metatype for its PID */
    private List<SettingDTO> described(Configurable c, Bundle bundle) {
        Map<String, String> text = descriptions(c.pid(), bundle);
        List<SettingDTO> out = new ArrayList<>();
        for (SettingDTO s : c.settings()) {
            out.add(s.withDescription(text.get(s.key())));
        }
        return out;
    }

    private Map<String, String> descriptions(String pid, Bundle bundle) {
        Map<String, String> out = new HashMap<>();
        MetaTypeInformation info = bundle == null ? null : metatype.getMetaTypeInformation(bundle);
        if (info == null || !List.of(info.getPids()).contains(pid)) {
            return out;
        }
        ObjectClassDefinition ocd = info.getObjectClassDefinition(pid, null);
        AttributeDefinition[] ads = ocd.getAttributeDefinitions(ObjectClassDefinition.ALL);
        for (AttributeDefinition ad : ads == null ? new AttributeDefinition[0] : ads) {
            out.put(ad.getID(), ad.getDescription());
        }
        return out;
    }
}
