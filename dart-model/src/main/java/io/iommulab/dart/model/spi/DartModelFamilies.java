package io.iommulab.dart.model.spi;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The built-in variant descriptions, as a service of the {@code dart-model} bundle, so that a
 * variant bundle derives its own from the one it resembles without importing implementation
 * packages, e.g. {@code families.t8103().toBuilder().name("t8103-usb4")...build()}.
 */
@ProviderType
public interface DartModelFamilies {

    /** @return apple,t8103-dart (M1): T8020 registers, 16 streams, DART1 tables, OAS 36, bypass */
    DartModelHw t8103();

    /** @return apple,t6000-dart (M1 Pro/Max/Ultra): T8020 registers, DART2 tables, OAS 42 */
    DartModelHw t6000();

    /** @return apple,t8110-dart (M2): T8110 registers, PARAMS3/4 defaults 16 streams, IAS 36, OAS 42 */
    DartModelHw t8110();

    /** @return apple,t6020-dart (M2 Pro/Max/Ultra): the t8110 registers reporting IAS 42 (four-level tables) */
    DartModelHw t6020();
}
