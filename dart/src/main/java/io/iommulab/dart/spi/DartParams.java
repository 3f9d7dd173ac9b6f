package io.iommulab.dart.spi;

/**
 * What probe learns from a DART's PARAMS registers (dart-facts §1.8: PARAMS1/2 for all families,
 * PARAMS3/4 on T8110).
 *
 * @param pageSize       bytes per DART page, {@code 1 << PARAMS1[27:24]}
 * @param supportsBypass PARAMS2 bit 0: the DART can pass a stream through untranslated
 * @param ias            input (IOVA) address bits
 * @param oas            output (physical) address bits
 * @param numStreams     stream ids the DART has
 * @param fourLevel      the DART walks four-level tables (T8110 with IAS &gt; 36)
 */
public record DartParams(long pageSize, boolean supportsBypass, int ias, int oas, int numStreams, boolean fourLevel) {
}
