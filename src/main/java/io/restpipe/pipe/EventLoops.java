package io.restpipe.pipe;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/** Creates the event loop groups the pipes and gateways run on. */
public final class EventLoops {
    private EventLoops() {
    }

    /** A group of {@code threads} loops (0 = Netty's default, twice the cores) with daemon threads named {@code name}. */
    public static EventLoopGroup create(String name, int threads) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true),
                NioIoHandler.newFactory());
    }
}
