package io.restpipe.internal.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.restpipe.PeerInfo;
import io.restpipe.internal.wire.Frame;
import io.restpipe.internal.wire.FrameReceiver;
import io.restpipe.internal.wire.FrameSink;
import io.restpipe.internal.wire.FrameType;
import io.restpipe.internal.wire.proto.Hello;
import io.restpipe.internal.wire.proto.HelloReply;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hello exchange tells each side the other's instance (SPEC §10), and what the server can do. */
class PipeLinkHelloTest {
    private static final PeerInfo PEER = new PeerInfo("edge", new InetSocketAddress("127.0.0.1", 4000));

    private final List<Object> passedOn = new ArrayList<>();
    private final FrameReceiver callState = new FrameReceiver() {
        @Override
        public void frameArrived(Object frame) {
            passedOn.add(frame);
        }

        @Override
        public void linkClosed(FrameSink link, String reason) {
        }
    };

    private PipeLink link(EmbeddedChannel channel, CertificateDesk desk, String instance) {
        PipeLink link = new PipeLink(channel, PEER, desk, instance);
        channel.pipeline().addLast(link);
        link.attach(callState);
        return link;
    }

    @Test
    void theServerLearnsTheClientsInstanceAndAnswersWithItsOwn() {
        EmbeddedChannel channel = new EmbeddedChannel();
        PipeLink server = link(channel, null, "server-instance-1");
        assertThat(server.peerInstance()).isNull();

        channel.writeInbound(Frame.of(0, PipeLink.hello("client-instance-7")));

        assertThat(server.peerInstance()).isEqualTo("client-instance-7");
        Frame reply = channel.readOutbound();
        assertThat(reply.type()).isEqualTo(FrameType.HELLO_REPLY);
        assertThat(reply.as(HelloReply.class).getInstanceId()).isEqualTo("server-instance-1");
        assertThat(reply.as(HelloReply.class).getCapabilitiesList()).as("no --issuer-dir").doesNotContain("certificates");
        assertThat(passedOn).as("the hello also tells the call state the peer speaks v2").hasSize(1);
        channel.finishAndReleaseAll();
    }

    @Test
    void theClientLearnsTheServersInstanceAndWhetherItSignsCertificates() {
        EmbeddedChannel channel = new EmbeddedChannel();
        PipeLink client = link(channel, null, "client-instance-7");

        channel.writeInbound(Frame.of(0, HelloReply.newBuilder().setProtocolVersion(2).setInstanceId("server-2")
                .addCapabilities("certificates").build()));

        assertThat(client.peerInstance()).isEqualTo("server-2");
        assertThat(client.serverIssuesCertificates()).isTrue();
        channel.finishAndReleaseAll();
    }

    @Test
    void aPeerThatSaysNoInstanceHasNone() {
        EmbeddedChannel channel = new EmbeddedChannel();
        PipeLink server = link(channel, null, "server-instance-1");
        channel.writeInbound(Frame.of(0, Hello.newBuilder().setProtocolVersion(2).build()));
        assertThat(server.peerInstance()).isNull();
        channel.finishAndReleaseAll();
    }
}
