package io.iommulab.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.JsonGeneratorDecorator;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import java.io.IOException;

/**
 * Writes NaN and the infinities as {@code null}: JSON has no such numbers, and Jackson's own
 * answer (the string {@code "NaN"}) would make a number field a string now and then. A hit rate
 * of no transactions, a rate over no time: "no value" is what they are. Done at the generator, so
 * it holds for every path a double takes (record component, boxed in a map, array, tree node).
 */
final class FiniteNumbers implements JsonGeneratorDecorator {

    @Override
    public JsonGenerator decorate(JsonFactory factory, JsonGenerator generator) {
        return new JsonGeneratorDelegate(generator, false) {
            @Override
            public void writeNumber(double v) throws IOException {
                if (finite(Double.isFinite(v))) {
                    super.writeNumber(v);
                }
            }

            @Override
            public void writeNumber(float v) throws IOException {
                if (finite(Float.isFinite(v))) {
                    super.writeNumber(v);
                }
            }

            /** @return {@code finite}; null is written for a number that is not */
            private boolean finite(boolean finite) throws IOException {
                if (!finite) {
                    writeNull();
                }
                return finite;
            }

            @Override
            public void writeArray(double[] array, int offset, int length) throws IOException {
                // the delegate would hand the whole array to the generator, past the checks above
                writeStartArray(array, length);
                for (int i = offset; i < offset + length; i++) {
                    writeNumber(array[i]);
                }
                writeEndArray();
            }
        };
    }
}
