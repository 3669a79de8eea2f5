package io.restpipe.handler;

import io.restpipe.PeerInfo;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.List;
import java.util.function.BiFunction;

/** Adapts one {@link On}-annotated method to {@link EventHandler}; parameter binding is worked out once. */
final class AnnotatedMethodHandler implements EventHandler {
    private final Object target;
    private final Method method;
    /** For each parameter: how to get its value from the call and the running positional-argument index. */
    private final List<BiFunction<Call, int[], Object>> binders;

    AnnotatedMethodHandler(Object target, Method method) {
        this.target = target;
        this.method = method;
        this.binders = java.util.Arrays.stream(method.getGenericParameterTypes())
                .map(AnnotatedMethodHandler::binderFor).toList();
    }

    @Override
    public Object handle(Call call) throws Exception {
        Object[] values = new Object[binders.size()];
        int[] nextArgument = {0};
        for (int i = 0; i < values.length; i++) {
            values[i] = binders.get(i).apply(call, nextArgument);
        }
        try {
            return method.invoke(target, values);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception exception) {
                throw exception;
            }
            throw (Error) cause;
        }
    }

    private static BiFunction<Call, int[], Object> binderFor(Type type) {
        if (type == Call.class) {
            return (call, next) -> call;
        }
        if (type == Body.class) {
            return (call, next) -> call.body();
        }
        if (type == PeerInfo.class) {
            return (call, next) -> call.peer();
        }
        if (type == String.class) {
            return (call, next) -> call.argument(next[0]++);
        }
        if (type == String[].class) {
            return (call, next) -> call.arguments().toArray(String[]::new);
        }
        if (type instanceof ParameterizedType parameterized && parameterized.getRawType() == List.class
                && parameterized.getActualTypeArguments()[0] == String.class) {
            return (call, next) -> call.arguments();
        }
        if (type instanceof Class<?> bodyType) {
            return (call, next) -> call.body().isEmpty() ? null : call.body().json(bodyType);
        }
        throw new IllegalArgumentException("cannot bind a handler parameter of type " + type);
    }
}
