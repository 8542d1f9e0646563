package dev.annealer.operator.progress;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body read into memory up to a cap: a Content-Length above the cap is refused before any byte is read,
 * and a body that grows past it (chunked) is cut off there; both complete with {@link TooLarge} and cancel the
 * subscription, which makes the HTTP client drop the connection.
 */
final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {

    /** The body exceeded the cap. */
    static final class TooLarge extends IOException {
        TooLarge(String message) {
            super(message);
        }
    }

    private final int cap;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final String refusedUpFront;
    private Flow.Subscription subscription;

    private CappedBody(int cap, String refusedUpFront) {
        this.cap = cap;
        this.refusedUpFront = refusedUpFront;
    }

    static HttpResponse.BodyHandler<byte[]> handler(int cap) {
        return info -> {
            long declared = info.headers().firstValueAsLong("content-length").orElse(-1);
            return new CappedBody(cap, declared > cap ? "body of " + declared + " bytes is larger than " + cap
                    + " bytes" : null);
        };
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (refusedUpFront != null) {
            s.cancel();
            result.completeExceptionally(new TooLarge(refusedUpFront));
            return;
        }
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        if (result.isDone()) {
            return;
        }
        for (ByteBuffer b : buffers) {
            if (bytes.size() + b.remaining() > cap) {
                subscription.cancel();
                result.completeExceptionally(new TooLarge("body is larger than " + cap + " bytes"));
                return;
            }
            byte[] chunk = new byte[b.remaining()];
            b.get(chunk);
            bytes.writeBytes(chunk);
        }
    }

    @Override
    public void onError(Throwable t) {
        result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
        result.complete(bytes.toByteArray());
    }
}
