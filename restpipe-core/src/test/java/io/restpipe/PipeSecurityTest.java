package io.restpipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.netty.buffer.Unpooled;
import io.restpipe.internal.tls.CertificateAuthority.Role;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameType;
import io.restpipe.internal.wire.proto.Event;
import io.restpipe.internal.wire.proto.EventReply;
import io.restpipe.internal.wire.proto.Heartbeat;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Who may open a pipe, what a pipe may carry, and what happens to everything else. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PipeSecurityTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final PipeFixture fixture = new PipeFixture();

    @Test
    void serverRefusesAClientWithoutACertificate() throws Exception {
        RestPipeServer server = fixture.startServer();
        try (ScriptedPeer anonymous = ScriptedPeer.connect(server.pipeAddress().getPort(), null,
                fixture.pki.caCertificates())) {
            assertThat(anonymous.awaitClosed(WAIT)).isTrue();
        }
        assertThat(server.connectedClients()).isEmpty();
    }

    @Test
    void serverRefusesAClientWhoseCertificateComesFromAnotherCa() throws Exception {
        RestPipeServer server = fixture.startServer();
        TestPki foreign = new TestPki();
        RecordingListener events = new RecordingListener();
        fixture.startClient(RestPipeClient.builder()
                .tls(foreign.client("intruder"), fixture.pki.caCertificates())
                .server(InetSocketAddress.createUnresolved("localhost", server.pipeAddress().getPort()))
                .httpListen(null)
                .listener(events));
        await().atMost(WAIT).until(() -> events.failures.get() >= 2);
        assertThat(server.connectedClients()).isEmpty();
    }

    @Test
    void clientRefusesAServerWhoseCertificateDoesNotNameTheDialedHost() throws Exception {
        Identity wrongName = fixture.pki.ca().issue("server", Role.SERVER, List.of("elsewhere.example"),
                List.of(), Duration.ofDays(1));
        RestPipeServer server = fixture.startServer(fixture.serverBuilder()
                .tls(wrongName, fixture.pki.caCertificates()));
        RecordingListener events = new RecordingListener();
        RestPipeClient client = fixture.startClient(fixture.clientBuilder("careful", server.pipeAddress())
                .listener(events));
        await().atMost(WAIT).until(() -> events.failures.get() >= 2);
        assertThat(client.isConnected()).isFalse();
        assertThat(server.connectedClients()).isEmpty();
    }

    @Test
    void plainTcpAndHttpOnThePipePortAreClosedAndTheServerGoesOn() throws Exception {
        RestPipeServer server = fixture.startServer();
        for (String garbage : new String[] {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "\u0000\u0001garbage\r\n"}) {
            try (Socket socket = new Socket("127.0.0.1", server.pipeAddress().getPort())) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(garbage.getBytes(StandardCharsets.ISO_8859_1));
                InputStream in = socket.getInputStream();
                byte[] answer = in.readAllBytes();
                assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1 200");
            }
        }
        RestPipeClient client = fixture.startClient("honest", server.pipeAddress());
        assertThat(client.call(PipeEvent.of("GET", "time")).get(10, TimeUnit.SECONDS).code()).isZero();
    }

    @Test
    void brokenFramesCloseOnlyTheirOwnPipe() throws Exception {
        RestPipeServer server = fixture.startServer();
        RestPipeClient bystander = fixture.startClient("bystander", server.pipeAddress());
        assertThat(bystander.call(PipeEvent.of("GET", "time")).get(10, TimeUnit.SECONDS).code()).isZero();

        List<io.netty.buffer.ByteBuf> brokenFrames = List.of(
                Unpooled.buffer().writeByte(0x42).writeByte(0).writeInt(0).writeInt(1),            // unknown type
                Unpooled.buffer().writeByte(0x02).writeByte(0).writeInt(Integer.MAX_VALUE).writeInt(1), // oversized
                Unpooled.buffer().writeByte(0x02).writeByte(0).writeInt(2).writeInt(1)
                        .writeByte(0xff).writeByte(0xff));                                              // unparseable
        for (io.netty.buffer.ByteBuf broken : brokenFrames) {
            try (ScriptedPeer rogue = ScriptedPeer.connect(server.pipeAddress().getPort(),
                    fixture.pki.client("rogue"), fixture.pki.caCertificates())) {
                rogue.awaitHandshake();
                rogue.sendRaw(broken);
                assertThat(rogue.awaitClosed(WAIT)).isTrue();
            }
            assertThat(bystander.call(PipeEvent.of("GET", "cat", "still", "here")).get(10, TimeUnit.SECONDS)
                    .bodyText()).isEqualTo("{\"result_from_server\":\"stillhere\"}");
        }
        await().atMost(WAIT).until(() -> server.connectedClients().equals(List.of("bystander")));
    }

    @Test
    void v1PeerCanCallBeCalledAndHeartbeat() throws Exception {
        RestPipeServer server = fixture.startServer();
        try (ScriptedPeer v1 = ScriptedPeer.connect(server.pipeAddress().getPort(), fixture.pki.client("legacy"),
                fixture.pki.caCertificates())) {
            v1.awaitHandshake();

            v1.send(Frame.of(0x7fff0001, Heartbeat.getDefaultInstance()));
            assertThat(v1.take(FrameType.HEARTBEAT_REPLY, WAIT).id()).isEqualTo(0x7fff0001);

            v1.send(Frame.of(0x7fff0002, Event.newBuilder().setVersion(1).setVerb("get")
                    .setNoun("cat//hello%20/world").setData(ByteString.EMPTY).build()));
            Frame reply = v1.take(FrameType.EVENT_REPLY, WAIT);
            assertThat(reply.id()).isEqualTo(0x7fff0002);
            EventReply answer = reply.as(EventReply.class);
            assertThat(answer.getCode()).isZero();
            assertThat(answer.getMimetype()).isEqualTo("application/json");
            assertThat(answer.getData().toStringUtf8()).isEqualTo("{\"result_from_server\":\"hello world\"}");

            await().atMost(WAIT).until(() -> server.connectedClients().contains("legacy"));
            var call = HttpCalls.getAsync(server.httpAddress(), "/client/legacy/cat//a%20b/c");
            Frame event = v1.take(FrameType.EVENT, WAIT);
            Event sent = event.as(Event.class);
            assertThat(sent.getVerb()).isEqualTo("get");
            assertThat(sent.getNoun()).isEqualTo("cat//a%20b/c");
            v1.send(new Frame(FrameType.EVENT_REPLY, Frame.FLAG_REPLY, event.id(), EventReply.newBuilder()
                    .setVersion(1).setCode(0).setMimetype("application/json")
                    .setData(ByteString.copyFromUtf8("{\"legacy\": true}")).build()));
            var response = call.get(10, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("X-Event-Return-Code")).hasValue("0");
            assertThat(response.body()).isEqualTo("{\"legacy\": true}");
        }
    }
}
