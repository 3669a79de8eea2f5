package io.restpipe.internal.call;

import java.util.ArrayList;
import java.util.List;

/** A body consumer for tests that notes the end or the abort it was told of; subclasses say what to do with data. */
public abstract class RecordingConsumer implements BodyConsumer {
    public final List<String> seen = new ArrayList<>();

    @Override
    public void onEnd() {
        seen.add("end");
    }

    @Override
    public void onAbort(String reason) {
        seen.add("abort: " + reason);
    }
}
