package io.iommulab.core.impl.shell;

import io.iommulab.api.error.Errno;
import io.iommulab.api.error.IommuException;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Function;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * The commands' names with a hyphen, as the kernel spells the functions they call
 * ({@code dma:map-sg} for dma_map_sg, {@code dma:unmap-sg}, {@code iommu:fault-handler}): Gogo calls
 * the Java method named after a command, and a method name cannot hold a hyphen, so each such name
 * is a Gogo {@link Function} that calls the command it stands for ({@code dma:mapsg}, ...) in the
 * same session, with the same choice of overload and argument coercion. The name it stands for is
 * the service property {@value #ALIAS_OF}, where {@code help} finds its usage.
 */
@Component(service = {}, immediate = true)
public final class CommandAliases {

    /** service property of an alias: the function (same scope) it calls */
    public static final String ALIAS_OF = "iommulab.command.alias.of";

    /** scope, the hyphenated name, the function it calls: the method name is the name without its hyphens */
    static final List<String[]> ALIASES = List.of(
            new String[] {"dma", "map-sg", "mapsg"},
            new String[] {"dma", "unmap-sg", "unmapsg"},
            new String[] {"iommu", "fault-handler", "faulthandler"});

    private final List<ServiceRegistration<Function>> registrations = new ArrayList<>();

    @Activate
    void activate(BundleContext context) {
        for (String[] a : ALIASES) {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("osgi.command.scope", a[0]);
            props.put("osgi.command.function", a[1]);
            props.put(ALIAS_OF, a[2]);
            registrations.add(context.registerService(Function.class, new Alias(a[0] + ":" + a[2]), props));
        }
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<Function> r : registrations) {
            r.unregister();
        }
        registrations.clear();
    }

    /** A name that calls another command. */
    static final class Alias implements Function {
        private final String command;

        /** @param command the command it calls, {@code scope:function} */
        Alias(String command) {
            this.command = command;
        }

        @Override
        public Object execute(CommandSession session, List<Object> arguments) throws Exception {
            // the session finds a command by its name as it does for a command line
            if (!(session.get(command) instanceof Function f)) {
                throw new IommuException(Errno.ENOENT, command + " is not available (is its bundle active?)");
            }
            return f.execute(session, arguments);
        }
    }
}
