package io.iommulab.lib.cmdline;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How a shell command explains itself: its usage, written from the Gogo annotations its methods
 * carry ({@code @Descriptor} on the command and on each parameter, {@code @Parameter} on an
 * option), as {@code help NAME} and a call with the wrong arguments show it. Each form (overload)
 * of the command gets a synopsis line, its description, and its parameters with theirs; a
 * parameter already described the same way by an earlier form is not repeated:
 *
 * <pre>
 * iommu:map DEV IOVA PADDR SIZE
 *   iommu_map on the device's current domain, read-write
 *     DEV    device
 *     ...
 * iommu:map DEV IOVA PADDR SIZE PROT
 *   iommu_map on the device's current domain
 *     PROT   protection: r, w or rw
 * </pre>
 *
 * A parameter is named after its Java name in capitals (the build compiles with {@code
 * -parameters}), or after its type where the name was not kept. The annotations are read by their
 * type names, so the API imports nothing from the shell and reads whichever copy of them a command
 * was compiled against.
 */
public final class CommandUsage {

    static final String DESCRIPTOR = "org.apache.felix.service.command.Descriptor";
    static final String PARAMETER = "org.apache.felix.service.command.Parameter";
    /** Gogo passes the session to a command that asks for it: not an argument the user gives. */
    static final String SESSION = "org.apache.felix.service.command.CommandSession";
    /** Parameter.UNSPECIFIED: the presentValue of an option that takes a value (a flag has one of its own) */
    static final String UNSPECIFIED = "org.apache.felix.service.command.unspecified.parameter";

    private CommandUsage() {
    }

    /**
     * @param type     the class of a command service
     * @param function a function it is registered for ({@code osgi.command.function})
     * @return the public methods Gogo chooses among for it (the name compared as Gogo does, ignoring
     *         case; a Java keyword, e.g. {@code new}, names the method {@code _new}), the form with the
     *         fewest arguments first
     */
    public static List<Method> forms(Class<?> type, String function) {
        List<Method> out = new ArrayList<>();
        for (Method m : type.getMethods()) {
            String name = m.getName();
            if ((name.equalsIgnoreCase(function) || name.equalsIgnoreCase("_" + function)) && !m.isBridge()) {
                out.add(m);
            }
        }
        out.sort(Comparator.comparingInt((Method m) -> arguments(m).size()).thenComparing(Method::toGenericString));
        return out;
    }

    /**
     * @param command the name the user calls it by, {@code scope:function}
     * @param forms   its methods ({@link #forms})
     * @return the usage, lines ending in {@code \n} except the last
     */
    public static String usage(String command, List<Method> forms) {
        StringBuilder sb = new StringBuilder();
        Set<String> described = new HashSet<>();
        int width = 0; // one column for the parameters of every form
        for (Method m : forms) {
            for (Arg a : arguments(m)) {
                width = Math.max(width, a.label().length());
            }
        }
        for (Method m : forms) {
            List<Arg> args = arguments(m);
            StringBuilder synopsis = new StringBuilder(command);
            for (Arg a : args) {
                synopsis.append(' ').append(a.synopsis());
            }
            sb.append(synopsis).append('\n');
            String what = text(m.getAnnotations());
            if (!what.isEmpty()) {
                sb.append("  ").append(what).append('\n');
            }
            for (Arg a : args) {
                if (!described.add(a.label() + '\0' + a.description())) {
                    continue;
                }
                sb.append("    ").append(a.label());
                if (!a.description().isEmpty()) {
                    sb.append(" ".repeat(width - a.label().length() + 2)).append(a.description());
                }
                sb.append('\n');
            }
        }
        return sb.toString().stripTrailing();
    }

    /** @return the description of the simplest form (the first of {@code forms}), "" if it has none */
    public static String summary(List<Method> forms) {
        return forms.isEmpty() ? "" : text(forms.get(0).getAnnotations());
    }

    /**
     * What a command class leaves unexplained: every public instance method it declares is a
     * command and must have a description, and so must each of its parameters (but the session).
     *
     * @return one line per missing description, naming the method and the parameter; empty if none
     */
    public static List<String> undescribed(Class<?> type) {
        List<String> out = new ArrayList<>();
        List<Method> methods = new ArrayList<>(List.of(type.getDeclaredMethods()));
        methods.sort(Comparator.comparing(Method::toGenericString));
        for (Method m : methods) {
            if (!Modifier.isPublic(m.getModifiers()) || Modifier.isStatic(m.getModifiers()) || m.isSynthetic()
                    || m.isBridge()) {
                continue;
            }
            String where = type.getSimpleName() + "." + m.getName() + signature(m);
            if (text(m.getAnnotations()).isEmpty()) {
                out.add(where + ": no description");
            }
            for (Arg a : arguments(m)) {
                if (a.description().isEmpty()) {
                    out.add(where + ": parameter " + a.label() + " has no description");
                }
            }
        }
        return out;
    }

    /** One argument of a form as the user gives it. */
    private record Arg(String placeholder, List<String> names, boolean flag, boolean list, String description) {

        String label() {
            if (names.isEmpty()) {
                return placeholder;
            }
            return String.join(", ", names) + (flag ? "" : " " + placeholder);
        }

        String synopsis() {
            if (!names.isEmpty()) {
                return "[" + names.get(0) + (flag ? "" : " " + placeholder) + "]";
            }
            return list ? "[" + placeholder + "...]" : placeholder;
        }
    }

    /** @return the arguments of a form, in order (Gogo's options first, as it binds them), the session left out */
    private static List<Arg> arguments(Method m) {
        List<Arg> out = new ArrayList<>();
        Parameter[] ps = m.getParameters();
        Annotation[][] anns = m.getParameterAnnotations();
        for (int i = 0; i < ps.length; i++) {
            Class<?> t = ps[i].getType();
            if (t.getName().equals(SESSION)) {
                continue;
            }
            boolean list = i == ps.length - 1 && t.isArray();
            String placeholder = (ps[i].isNamePresent() ? ps[i].getName()
                    : (t.isArray() ? t.getComponentType() : t).getSimpleName()).toUpperCase(Locale.ROOT);
            String description = text(anns[i]);
            Annotation option = find(anns[i], PARAMETER);
            if (option == null) {
                out.add(new Arg(placeholder, List.of(), false, list, description));
                continue;
            }
            boolean flag = !UNSPECIFIED.equals(value(option, "presentValue"));
            String absent = (String) value(option, "absentValue");
            if (!flag && absent != null && !absent.isEmpty()) {
                description = (description + " (default: " + absent + ")").strip();
            }
            out.add(new Arg(placeholder, List.of((String[]) value(option, "names")), flag, false, description));
        }
        return out;
    }

    private static String signature(Method m) {
        StringBuilder sb = new StringBuilder("(");
        for (Class<?> t : m.getParameterTypes()) {
            sb.append(sb.length() > 1 ? ", " : "").append(t.getSimpleName());
        }
        return sb.append(')').toString();
    }

    /** @return the {@code @Descriptor} text among {@code anns}, trimmed; "" if there is none */
    private static String text(Annotation[] anns) {
        Annotation d = find(anns, DESCRIPTOR);
        Object v = d == null ? null : value(d, "value");
        return v == null ? "" : v.toString().strip();
    }

    private static Annotation find(Annotation[] anns, String typeName) {
        for (Annotation a : anns) {
            if (a.annotationType().getName().equals(typeName)) {
                return a;
            }
        }
        return null;
    }

    private static Object value(Annotation a, String element) {
        try {
            return a.annotationType().getMethod(element).invoke(a);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(a.annotationType().getName() + " has no element " + element, e);
        }
    }
}
