package io.restpipe.cli;

import io.restpipe.internal.util.Durations;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads durations such as {@code 250ms}, {@code 5s}, {@code 2m}. */
public final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            Duration duration = Durations.parse(value);
            if (duration.isZero()) {
                throw new TypeConversionException("'" + value + "' must be longer than zero");
            }
            return duration;
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
