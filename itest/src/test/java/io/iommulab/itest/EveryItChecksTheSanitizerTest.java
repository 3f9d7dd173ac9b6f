package io.iommulab.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;

/**
 * Every IT of this module has {@link SanitizerCheck} as a rule (its own or {@link OnBootedBoard}'s),
 * so that none runs without the DMA sanitizer's verdict (issue 13: every itest runs with it on and
 * asserts zero findings). A unit test, outside the container: it reads the compiled test classes.
 */
public class EveryItChecksTheSanitizerTest {

    @Test
    public void everyItDeclaresTheSanitizerRule() throws Exception {
        Path dir = Path.of(EveryItChecksTheSanitizerTest.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve(EveryItChecksTheSanitizerTest.class.getPackageName().replace('.', '/'));
        List<String> its;
        try (Stream<Path> files = Files.list(dir)) {
            its = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("IT.class") && !n.contains("$"))
                    .map(n -> n.substring(0, n.length() - ".class".length())).sorted().toList();
        }
        assertFalse("no IT classes in " + dir, its.isEmpty());
        List<String> without = new ArrayList<>();
        for (String name : its) {
            Class<?> c = Class.forName(EveryItChecksTheSanitizerTest.class.getPackageName() + "." + name, false,
                    EveryItChecksTheSanitizerTest.class.getClassLoader());
            if (!hasRule(c)) {
                without.add(name);
            }
        }
        assertEquals("ITs without '@Rule public final SanitizerCheck sanitizer = new SanitizerCheck();'", List.of(), without);
    }

    private static boolean hasRule(Class<?> c) {
        for (Field f : c.getFields()) {
            if (f.getType() == SanitizerCheck.class && f.isAnnotationPresent(Rule.class) && !Modifier.isStatic(f.getModifiers())) {
                return true;
            }
        }
        return false;
    }
}
