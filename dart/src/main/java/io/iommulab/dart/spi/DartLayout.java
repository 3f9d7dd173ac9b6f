package io.iommulab.dart.spi;

/**
 * {@code enum dart_type}: the register-layout family of a DART (dart-facts §1.1). Behaviour is not
 * chosen by this value (the strategies of {@link DartHw} carry it); the driver uses it only to name
 * registers in the {@code dart:} shell.
 */
public enum DartLayout {
    /** DART_T8020: t8103 (M1) and t8103-usb4 register map, dart-facts §1.3 */
    T8020,
    /** DART_T6000: t6000 (M1 Pro/Max), the T8020 register map with DART2 page tables */
    T6000,
    /** DART_T8110: t8110 (M2) and t6020 (M2 Pro/Max), dart-facts §1.4 */
    T8110
}
