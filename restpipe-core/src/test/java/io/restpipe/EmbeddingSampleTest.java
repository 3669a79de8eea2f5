package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;

import io.restpipe.handler.Handlers;
import io.restpipe.internal.tls.CertificateAuthority.Role;
import io.restpipe.internal.tls.CertificateAuthority;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The README's embedding sample, run as written, and the README still showing exactly this code. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmbeddingSampleTest {
    private static final Path README = Path.of("..", "README.md");
    private static final String START = "// README: embedding sample";
    private static final String END = "// end of the README's embedding sample";

    @TempDir
    Path pki;

    @Test
    void theSampleRunsAsWrittenAndTheClientsHandlerAnswersTheServer() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("Sample CA", Duration.ofDays(1));
        ca.save(pki);
        CertificateAuthority.save(ca.issue("server", Role.SERVER, List.of("localhost"), List.of("127.0.0.1"),
                Duration.ofDays(1)), pki, "server");
        CertificateAuthority.save(ca.issue("fileserver", Role.CLIENT, List.of(), List.of(), Duration.ofDays(1)),
                pki, "fileserver");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

        PrintStream console = System.out;
        System.setOut(out);
        try {
            sample(pki);
        } finally {
            System.setOut(console);
        }

        assertThat(printed.toString(StandardCharsets.UTF_8))
                .contains("200 {\"hello\":\"server\"}")
                .contains("streamed 100000 bytes");
    }

    @Test
    void theReadmeShowsTheSampleAsItIsHere() throws Exception {
        String source = Files.readString(Path.of("src/test/java/io/restpipe/EmbeddingSampleTest.java"));
        int method = source.indexOf("private static void sample(");
        String sample = source.substring(source.indexOf(START, method), source.indexOf(END, method) + END.length());
        String unindented = sample.lines().map(line -> line.startsWith("        ") ? line.substring(8) : line.strip())
                .collect(Collectors.joining("\n"));
        assertThat(Files.readString(README)).as("README.md's embedding sample").contains(unindented);
    }

    private static void sample(Path pki) throws Exception {
        // README: embedding sample
        Handlers handlers = new Handlers()
                .on("GET", "greet", call -> Map.of("hello", call.peer().name()))
                .on("GET", "zeros", call -> new ByteArrayInputStream(new byte[100_000]));  // streamed as read
        try (RestPipeServer server = RestPipeServer.builder()
                     .tls(pki.resolve("server.crt.pem"), pki.resolve("server.key.pem"), pki.resolve("ca.crt.pem"))
                     .pipeListen(new InetSocketAddress("127.0.0.1", 0))
                     .httpListen(null)                          // no HTTP gateway: calls from Java only
                     .build().start();
             RestPipeClient client = RestPipeClient.builder()
                     .tls(pki.resolve("fileserver.crt.pem"), pki.resolve("fileserver.key.pem"),
                             pki.resolve("ca.crt.pem"))
                     .server(InetSocketAddress.createUnresolved("localhost", server.pipeAddress().getPort()))
                     .httpListen(null)
                     .handlers(handlers)                        // what the server may call on this client
                     .build().start()) {
            // Waits (up to the connect wait) for the client named "fileserver" to connect, then calls it.
            PipeReply reply = server.call("fileserver", PipeEvent.of("GET", "greet")).get(10, TimeUnit.SECONDS);
            System.out.println(reply.status() + " " + reply.bodyText());

            // A large reply body streams: read it as it arrives, in bounded memory.
            PipeReply streamed = server.call("fileserver", PipeEvent.of("GET", "zeros")).get(10, TimeUnit.SECONDS);
            try (InputStream body = streamed.stream().inputStream()) {
                System.out.println("streamed " + body.readAllBytes().length + " bytes");
            }
        }
        // end of the README's embedding sample
    }
}
