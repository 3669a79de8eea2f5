package io.restpipe.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads sizes in bytes: {@code 65536}, {@code 64k} or {@code 64KiB}, {@code 4m} or {@code 4MiB}, {@code 1g}. */
final class ByteSizeConverter implements ITypeConverter<Long> {
    private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)");

    @Override
    public Long convert(String value) {
        Matcher matcher = FORMAT.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw new TypeConversionException("'" + value + "' is not a size (write e.g. 65536, 64KiB, 4MiB, 1GiB)");
        }
        long amount = Long.parseLong(matcher.group(1));
        int shift = switch (matcher.group(2).isEmpty() ? 'b' : matcher.group(2).charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        if (amount > (Long.MAX_VALUE >> shift)) {
            throw new TypeConversionException("'" + value + "' is too large");
        }
        return amount << shift;
    }
}
