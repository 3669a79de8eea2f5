package io.restpipe.internal.gateway;

import java.nio.charset.StandardCharsets;

/**
 * Whole error responses as bytes, for the handlers before the HTTP codec that answer a connection the gateway
 * never sees a request on (refused past the connection limit, or too slow with its headers). Thread-safe.
 */
final class RawResponses {
    private RawResponses() {
    }

    /** {@code HTTP/1.1 <status> <reason>} with a JSON error body, closing the connection. */
    static byte[] error(int status, String reason, String message) {
        byte[] body = ("{\"error\":\"" + message.replace("\"", "'") + "\",\"status\":" + status + "}")
                .getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\nConnection: close\r\n\r\n";
        byte[] head8 = head.getBytes(StandardCharsets.US_ASCII);
        byte[] response = new byte[head8.length + body.length];
        System.arraycopy(head8, 0, response, 0, head8.length);
        System.arraycopy(body, 0, response, head8.length, body.length);
        return response;
    }
}
