package io.iommulab.core.impl.shell;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import io.iommulab.lib.cmdline.CommandUsage;
import io.iommulab.lib.cmdline.TextTable;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * {@code help}: every command of every bundle with what it does, and a command's usage as
 * {@link CommandUsage} writes it from the command's {@code @Descriptor}s. Gogo's own {@code help}
 * (gogo.command's {@code felix:help}) lists the names alone; this one takes its place through the
 * service ranking by which Gogo chooses among the services of one command name. A call with the
 * wrong arguments shows the same usage (the launcher asks {@code help NAME} for it).
 */
@Component(service = HelpCommands.class, property = {"osgi.command.scope=felix", "osgi.command.function=help",
    "service.ranking:Integer=1"})
public final class HelpCommands {

    /** the commands there are now */
    private final Supplier<List<Command>> commands;

    @Activate
    public HelpCommands(BundleContext context) {
        this(() -> registered(context));
    }

    /**
     * For tests: help over these commands, each named {@code scope:function} with the class whose
     * methods Gogo calls for it. Not a constructor, so SCR sees one.
     */
    public static HelpCommands over(Map<String, Class<?>> commands) {
        List<Command> list = new ArrayList<>();
        new TreeMap<>(commands).forEach((name, type) -> list.add(new Command(name, type,
                name.substring(name.indexOf(':') + 1), null)));
        return new HelpCommands(() -> list);
    }

    private HelpCommands(Supplier<List<Command>> commands) {
        this.commands = commands;
    }

    /**
     * A command as the shell knows it.
     *
     * @param name     {@code scope:function}, as the user calls it
     * @param type     the class whose methods Gogo calls for it (for an alias: the command it calls)
     * @param function the function those methods are named after
     * @param aliasOf  for an alias ({@link CommandAliases}): the name of the command it calls; else null
     */
    record Command(String name, Class<?> type, String function, String aliasOf) {
        List<Method> forms() {
            return type == null ? List.of() : CommandUsage.forms(type, function);
        }
    }

    @Descriptor("list every command with what it does (help NAME shows how to call one)")
    public String help() {
        return list(commands.get());
    }

    @Descriptor("show how to call a command: each of its forms with its description and its parameters")
    public String help(@Descriptor("the command: scope:name, or a name alone for the commands of that name in every scope")
            String name) {
        return usage(commands.get(), name);
    }

    /** @return one row per command, by name: the description of its simplest form */
    static String list(Collection<Command> commands) {
        Map<String, String> aliasedBy = new TreeMap<>();
        for (Command c : commands) {
            if (c.aliasOf() != null) {
                aliasedBy.put(c.aliasOf(), c.name());
            }
        }
        TextTable t = new TextTable("COMMAND", "DESCRIPTION");
        for (Command c : commands) {
            String alias = aliasedBy.get(c.name());
            t.row(c.name(), alias != null ? "the same as " + alias : CommandUsage.summary(c.forms()));
        }
        return t + "help NAME shows how to call a command";
    }

    /**
     * @param name {@code scope:function}, or a function alone
     * @throws IommuException ENOENT when no command has that name
     */
    static String usage(Collection<Command> commands, String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        List<String> out = new ArrayList<>();
        for (Command c : commands) {
            String cn = c.name().toLowerCase(Locale.ROOT);
            if (n.indexOf(':') >= 0 ? cn.equals(n) : cn.substring(cn.indexOf(':') + 1).equals(n)) {
                List<Method> forms = c.forms();
                out.add(forms.isEmpty() ? c.name() + "\n  (no description)" : CommandUsage.usage(c.name(), forms));
            }
        }
        if (out.isEmpty()) {
            throw new IommuException(Errno.ENOENT, "help: no command is named '" + name + "' (help lists them)");
        }
        return String.join("\n\n", out);
    }

    /** @return the commands registered as services, by name; of several services of one name, the one Gogo calls */
    private static List<Command> registered(BundleContext context) {
        ServiceReference<?>[] refs;
        try {
            refs = context.getAllServiceReferences(null, "(osgi.command.scope=*)");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (refs == null) {
            return List.of();
        }
        // lowest ranking first, so that the one Gogo calls (the highest) is put last and stays
        Arrays.sort(refs);
        Map<String, Command> byName = new TreeMap<>();
        for (ServiceReference<?> ref : refs) {
            Object service = context.getService(ref);
            if (service == null) {
                continue;
            }
            Class<?> type = service.getClass();
            context.ungetService(ref);
            String scope = String.valueOf(ref.getProperty("osgi.command.scope"));
            Object aliasOf = ref.getProperty(CommandAliases.ALIAS_OF);
            for (String f : functions(ref.getProperty("osgi.command.function"))) {
                String name = scope + ":" + f;
                byName.put(name.toLowerCase(Locale.ROOT), aliasOf != null
                        ? new Command(name, null, aliasOf.toString(), scope + ":" + aliasOf)
                        : new Command(name, type, f, null));
            }
        }
        List<Command> out = new ArrayList<>();
        for (Command c : byName.values()) {
            if (c.aliasOf() == null) {
                out.add(c);
                continue;
            }
            Command target = byName.get(c.aliasOf().toLowerCase(Locale.ROOT));
            out.add(new Command(c.name(), target == null ? null : target.type(), c.function(), c.aliasOf()));
        }
        return out;
    }

    private static List<String> functions(Object property) {
        if (property instanceof String[] a) {
            return List.of(a);
        }
        if (property instanceof Collection<?> c) {
            return c.stream().map(String::valueOf).toList();
        }
        return property == null ? List.of() : List.of(property.toString());
    }
}
