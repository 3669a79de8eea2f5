package io.restpipe;

/** One HTTP-style header carried with an event or a reply. */
public record HeaderField(String name, String value) {
}
