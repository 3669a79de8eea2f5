package io.restpipe;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * An allocator that remembers every buffer it hands out, so a test can demand that all of them were released: an
 * exact leak check for one input, with no garbage collection involved (Netty's leak detector only reports a
 * leak once the collector has found the buffer, long after the input that leaked it). Its buffers are plain heap
 * buffers, also when a direct one is asked for, and are not wrapped by the leak detector, which at
 * {@code paranoid} records a stack trace at every access and slows a fuzzer more than tenfold. One channel's event
 * loop only.
 */
public final class TrackingAllocator extends AbstractByteBufAllocator {
    private final List<ByteBuf> handedOut = new ArrayList<>();

    public TrackingAllocator() {
        super(false);
    }

    /** A buffer holding a copy of {@code bytes}, tracked like any other. */
    public ByteBuf copyOf(byte[] bytes) {
        return heapBuffer(bytes.length).writeBytes(bytes);
    }

    @Override
    public ByteBuf heapBuffer(int initialCapacity, int maxCapacity) {
        if (initialCapacity == 0 && maxCapacity == 0) {
            return super.heapBuffer(0, 0); // the shared empty buffer, which needs no release, as in production
        }
        return newHeapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public ByteBuf directBuffer(int initialCapacity, int maxCapacity) {
        return heapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return track(new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity));
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        return newHeapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public CompositeByteBuf compositeHeapBuffer(int maxNumComponents) {
        return track(new CompositeByteBuf(this, false, maxNumComponents));
    }

    @Override
    public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
        return compositeHeapBuffer(maxNumComponents);
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    /** How many buffers were handed out so far. */
    public int handedOut() {
        return handedOut.size();
    }

    /** Descriptions of the buffers handed out and not yet released (empty when none leaked). */
    public List<String> unreleased() {
        List<String> leaks = new ArrayList<>();
        for (ByteBuf buf : handedOut) {
            if (buf.refCnt() > 0) {
                int shown = Math.min(buf.writerIndex(), 64);
                leaks.add(buf.getClass().getSimpleName() + " refCnt=" + buf.refCnt() + " capacity="
                        + buf.capacity() + " first bytes=" + ByteBufUtil.hexDump(buf, 0, shown));
            }
        }
        return leaks;
    }

    private <T extends ByteBuf> T track(T buf) {
        handedOut.add(buf);
        return buf;
    }
}
