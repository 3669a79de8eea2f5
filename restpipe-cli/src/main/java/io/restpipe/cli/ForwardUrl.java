package io.restpipe.cli;

import java.net.URI;
import java.net.URISyntaxException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads the {@code --forward} upstream: an {@code http://host[:port][/base]} URL. */
final class ForwardUrl implements ITypeConverter<URI> {
    @Override
    public URI convert(String value) {
        try {
            URI uri = new URI(value);
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new TypeConversionException("'" + value + "' is not an http://HOST[:PORT] URL");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new TypeConversionException("'" + value + "' is not a URL: " + e.getReason());
        }
    }
}
