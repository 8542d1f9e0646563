package dev.annealer.api.v1alpha1;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;

/** Writes a whole-valued double as an integer ({@code steps: 2000}, not {@code 2000.0}); others unchanged. */
public final class WholeNumberSerializer extends StdSerializer<Double> {

    public WholeNumberSerializer() {
        super(Double.class);
    }

    @Override
    public void serialize(Double value, JsonGenerator gen, SerializerProvider provider) throws IOException {
        if (value == Math.rint(value) && Math.abs(value) < 9.0e15) {
            gen.writeNumber(value.longValue());
        } else {
            gen.writeNumber(value);
        }
    }
}
