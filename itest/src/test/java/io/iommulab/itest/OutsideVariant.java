package io.iommulab.itest;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * A DART variant nobody in the project wrote, as an outside developer would bring it: two bundles
 * compiled at test time from source against the published variant SPIs only
 * ({@code io.iommulab.dart.model.spi} for the hardware half, {@code io.iommulab.dart.spi} for the
 * driver half), each importing nothing else, its DS component described by hand. Made-up silicon:
 * {@value #COMPATIBLE}, the t8103 registers with {@value #STREAMS} streams and the TTBR array at
 * 0x{@value #TTBR_BASE_HEX}, where no built-in variant has it, so a DMA that translates proves the
 * model and the driver each took their half from the new bundles.
 */
final class OutsideVariant {

    /** Variant name (both halves' service property). */
    static final String NAME = "t8103-outside";
    /** DT compatible no built-in variant lists. */
    static final String COMPATIBLE = "example,t8103-outside-dart";
    /** Stream count: one stream-enable word. */
    static final int STREAMS = 24;
    /** TTBR[0][0] offset, written as hex in the sources. */
    static final String TTBR_BASE_HEX = "800";
    /** Bundle-SymbolicName of the hardware half. */
    static final String MODEL_BSN = "org.example.outside.model";
    /** Bundle-SymbolicName of the driver half. */
    static final String DRIVER_BSN = "org.example.outside.driver";

    private OutsideVariant() {
    }

    private static final String MODEL_SOURCE = """
            package org.example.outside.model;

            import io.iommulab.dart.model.spi.DartModelFamilies;
            import io.iommulab.dart.model.spi.DartModelHw;
            import io.iommulab.dart.model.spi.DartModelVariant;

            public final class OutsideModelVariant implements DartModelVariant {
                private DartModelFamilies families;
                private DartModelHw hw;

                void setFamilies(DartModelFamilies f) { this.families = f; }

                void activate() {
                    DartModelHw t8103 = families.t8103();
                    hw = t8103.toBuilder().name("%s").compatibles("%s").streams(%d)
                            .enableWords(t8103.streams().enableWords().get(0)).ttbrBase(0x%s).build();
                }

                @Override public DartModelHw hw() { return hw; }
            }
            """.formatted(NAME, COMPATIBLE, STREAMS, TTBR_BASE_HEX);

    private static final String DRIVER_SOURCE = """
            package org.example.outside.driver;

            import io.iommulab.dart.spi.DartFamilies;
            import io.iommulab.dart.spi.DartHw;
            import io.iommulab.dart.spi.DartVariant;
            import java.util.List;

            public final class OutsideVariant implements DartVariant {
                private DartFamilies families;
                private DartHw hw;

                void setFamilies(DartFamilies f) { this.families = f; }

                void activate() {
                    DartHw t8103 = families.t8103();
                    hw = t8103.toBuilder().name("%s").compatibles(List.of("%s"))
                            .streams(%d, List.of(t8103.global().enableStreams().get(0))).ttbr(0x%s).build();
                }

                @Override public DartHw hw() { return hw; }
            }
            """.formatted(NAME, COMPATIBLE, STREAMS, TTBR_BASE_HEX);

    /** @return the hardware half, compiled against dart-model's SPI, as a bundle jar in {@code dir} */
    static File modelBundle(File dir) throws IOException {
        return bundle(dir, MODEL_BSN, "1.0.0", "org.example.outside.model", "OutsideModelVariant", MODEL_SOURCE,
                "io.iommulab.dart.model.spi", "io.iommulab.dart.model.spi.DartModelVariant",
                "io.iommulab.dart.model.spi.DartModelFamilies", "dart.model.variant", true, List.of("dart-model"));
    }

    /** @return the driver half at {@code version}, compiled against dart's SPI, as a bundle jar in {@code dir} */
    static File driverBundle(File dir, String version) throws IOException {
        return bundle(dir, DRIVER_BSN, version, "org.example.outside.driver", "OutsideVariant", DRIVER_SOURCE,
                "io.iommulab.dart.spi", "io.iommulab.dart.spi.DartVariant", "io.iommulab.dart.spi.DartFamilies",
                "dart.variant", false, List.of("dart", "api"));
    }

    /** The iommulab-outside fixture board: one such DART and a master on streams 0 and 20. */
    static byte[] board() {
        return ("""
                /dts-v1/;
                / {
                	model = "outside variant board";
                	compatible = "example,outside-board";
                	#address-cells = <2>;
                	#size-cells = <2>;
                	interrupt-parent = <&aic>;
                	memory@800000000 {
                		device_type = "memory";
                		reg = <0x8 0x00000000 0x0 0x40000000>;
                	};
                	soc {
                		compatible = "simple-bus";
                		#address-cells = <2>;
                		#size-cells = <2>;
                		ranges;
                		aic: interrupt-controller@23b100000 {
                			compatible = "apple,aic";
                			reg = <0x2 0x3b100000 0x0 0x8000>;
                			#interrupt-cells = <3>;
                			interrupt-controller;
                		};
                		outside_dart: iommu@235004000 {
                			compatible = "%s";
                			reg = <0x2 0x35004000 0x0 0x4000>;
                			interrupts = <0 635 4>;
                			#iommu-cells = <1>;
                		};
                		sio@236000000 {
                			compatible = "example,sio";
                			reg = <0x2 0x36000000 0x0 0x8000>;
                			iommus = <&outside_dart 0>, <&outside_dart 20>;
                		};
                	};
                };
                """).formatted(COMPATIBLE).getBytes(StandardCharsets.US_ASCII);
    }

    private static File bundle(File dir, String bsn, String version, String pkg, String cls, String source,
            String importPackage, String service, String reference, String property, boolean hardware,
            List<String> classpath) throws IOException {
        Path work = Files.createTempDirectory(dir.toPath(), bsn + "-");
        Path src = work.resolve("src").resolve(pkg.replace('.', '/')).resolve(cls + ".java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, source);
        Path classes = work.resolve("classes");
        Files.createDirectories(classes);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no system Java compiler: run the itests on a JDK");
        }
        String cp = String.join(File.pathSeparator, classpath.stream().map(a -> Container.jar(a).getAbsolutePath()).toList());
        StringWriter out = new StringWriter();
        boolean ok = javac.getTask(out, null, null, List.of("--release", "17", "-classpath", cp, "-d", classes.toString()),
                null, javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(src.toFile()))
                .call();
        if (!ok) {
            throw new IllegalStateException("the outside variant " + bsn + " does not compile against " + classpath + ":\n" + out);
        }
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", version);
        // The SPI is all it imports: the class would not load if it needed an implementation package.
        a.putValue("Import-Package", importPackage);
        a.putValue("Service-Component", "OSGI-INF/" + cls + ".xml");
        if (hardware) {
            a.putValue("Iommulab-Hardware", "true");
        }
        String component = """
                <?xml version="1.0" encoding="UTF-8"?>
                <scr:component xmlns:scr="http://www.osgi.org/xmlns/scr/v1.3.0" name="%s.%s" activate="activate">
                  <property name="%s" value="%s"/>
                  <service><provide interface="%s"/></service>
                  <reference name="families" interface="%s" bind="setFamilies"/>
                  <implementation class="%s.%s"/>
                </scr:component>
                """.formatted(pkg, cls, property, NAME, service, reference, pkg, cls);
        File jar = new File(dir, bsn + "-" + version + ".jar");
        try (OutputStream fos = new FileOutputStream(jar); JarOutputStream jout = new JarOutputStream(fos, mf)) {
            jout.putNextEntry(new JarEntry("OSGI-INF/" + cls + ".xml"));
            jout.write(component.getBytes(StandardCharsets.UTF_8));
            jout.closeEntry();
            try (Stream<Path> files = Files.walk(classes)) {
                for (Path p : files.filter(Files::isRegularFile).toList()) {
                    jout.putNextEntry(new JarEntry(classes.relativize(p).toString().replace(File.separatorChar, '/')));
                    jout.write(Files.readAllBytes(p));
                    jout.closeEntry();
                }
            }
        }
        return jar;
    }
}
