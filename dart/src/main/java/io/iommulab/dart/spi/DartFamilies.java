package io.iommulab.dart.spi;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The built-in variants and their family strategies, as a service of the driver bundle, so that a
 * variant bundle reuses them without importing implementation packages. A new variant of a known
 * family usually starts from a built-in record and changes what differs, e.g.
 * {@code families.t8103().toBuilder().name(...).compatibles(...).ttbr(...).build()}.
 */
@ProviderType
public interface DartFamilies {

    /** @return the t8103 (M1) variant: T8020 layout, 16 streams, DART1 tables, OAS 36 */
    DartHw t8103();

    /** @return the t6000 (M1 Pro/Max) variant: T8020 registers, DART2 tables, OAS 42 */
    DartHw t6000();

    /** @return the t8110 (M2, and M2 Pro/Max through the fallback compatible) variant */
    DartHw t8110();

    /** @return T8020/T6000 params: IAS 32, OAS and streams from the variant record */
    DartParamsReader t8020Params();

    /** @return STREAM_SELECT words + STREAM_COMMAND INVALIDATE, poll BUSY */
    DartTlbInvalidator t8020Invalidator();

    /** @return T8020 ERROR decoding (4-bit stream, codes of dart-facts §1.7) */
    DartFaultHandler t8020FaultHandler();

    /** @return T8110 params: IAS/OAS from PARAMS3, streams from PARAMS4 */
    DartParamsReader t8110Params();

    /** @return T8110 TLB_CMD flush-SID per stream, poll BUSY */
    DartTlbInvalidator t8110Invalidator();

    /** @return T8110 ERROR decoding (8-bit stream), ERROR_STREAMS clearing, ERROR_MASK */
    DartFaultHandler t8110FaultHandler();
}
