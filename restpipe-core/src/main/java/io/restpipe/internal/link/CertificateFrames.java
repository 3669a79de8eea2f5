package io.restpipe.internal.link;

import com.google.protobuf.ByteString;
import io.restpipe.internal.wire.proto.CertificateReply;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;

/** Turns the certificates a {@link CertificateDesk} issues into {@code CertificateReply} frames and back. */
public final class CertificateFrames {
    /** Where requests are signed: off the event loops, which signing (a few ms of RSA) would stall. */
    private static final Executor SIGNING = ForkJoinPool.commonPool();

    private CertificateFrames() {
    }

    /**
     * Runs {@code issue} off the event loop and completes with its reply: the chain, or the words of its refusal or
     * failure; it always completes.
     */
    static CompletableFuture<CertificateReply> replyTo(Supplier<List<X509Certificate>> issue) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                CertificateReply.Builder reply = CertificateReply.newBuilder();
                for (X509Certificate certificate : issue.get()) {
                    reply.addChain(ByteString.copyFrom(certificate.getEncoded()));
                }
                return reply.build();
            } catch (IllegalArgumentException refused) {
                return CertificateReply.newBuilder().setError(refused.getMessage()).build();
            } catch (CertificateEncodingException | RuntimeException e) {
                // Whatever went wrong on this side, the client gets an answer and the desk stays usable.
                return CertificateReply.newBuilder().setError("the server could not issue a certificate: " + e)
                        .build();
            }
        }, SIGNING);
    }

    /**
     * The chain a reply carries.
     *
     * @throws IllegalArgumentException with the server's words when it refused, or when the chain does not decode
     */
    public static List<X509Certificate> chain(CertificateReply reply) {
        if (reply.hasError() || reply.getChainCount() == 0) {
            throw new IllegalArgumentException("the server issued no certificate: "
                    + (reply.hasError() ? reply.getError() : "its reply was empty"));
        }
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            List<X509Certificate> chain = new ArrayList<>();
            for (ByteString der : reply.getChainList()) {
                chain.add((X509Certificate) factory.generateCertificate(der.newInput()));
            }
            return chain;
        } catch (CertificateException e) {
            throw new IllegalArgumentException("the certificate the server sent does not decode: " + e.getMessage(), e);
        }
    }
}
