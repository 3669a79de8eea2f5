package io.restpipe.internal.trust;

import io.restpipe.internal.tls.CertificateAuthority;
import io.restpipe.internal.tls.CertificateDiagnosis;
import io.restpipe.internal.tls.CertificateNames;
import io.restpipe.internal.tls.CertificateRequests;
import io.restpipe.internal.tls.PemFiles;
import io.restpipe.internal.util.Failures;
import io.restpipe.internal.util.RepeatedLog;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * A client renewing its own certificate over its pipe (SPEC §11): once two thirds of the certificate's life are
 * gone, a new key is made here, its CSR signed by the server, and the key and certificate files replaced, which the
 * side's {@link TlsFiles} then reads like any change: no pipe drops. Checked by the side's {@link FileWatcher}, on
 * whose thread the files are written, so that it never reads a new key beside the old certificate. Thread-safe.
 */
public final class CertificateRenewal {
    private static final Logger log = LoggerFactory.getLogger(CertificateRenewal.class);
    private static final RepeatedLog failures = new RepeatedLog(log, Level.WARN, Duration.ofHours(1));
    /** How often {@link #checkDue} should run: it only compares two instants until a renewal is due. */
    public static final Duration CHECK_EVERY = Duration.ofSeconds(1);
    /** After a failed renewal (pipe down, server refusing), the next try. */
    static final Duration RETRY_AFTER = Duration.ofMinutes(1);

    private final Path certificateFile;
    private final Path keyFile;
    private final Supplier<X509Certificate> current;
    private final Function<byte[], CompletableFuture<List<X509Certificate>>> server;
    private final BooleanSupplier pipeUp;
    private final FileWatcher watcher;
    private volatile boolean inFlight;
    private volatile Instant retryAfter = Instant.MIN;
    /** The serial of the certificate just replaced on disk, until the side has read the new one. */
    private volatile BigInteger replaced;

    /**
     * @param current this side's certificate in force
     * @param server  sends a CSR over the pipe and completes with the chain the server issued
     * @param pipeUp  whether the pipe is up to a server that signs certificates: a renewal due meanwhile waits,
     *                quietly
     */
    public CertificateRenewal(Path certificateFile, Path keyFile, Supplier<X509Certificate> current,
                              Function<byte[], CompletableFuture<List<X509Certificate>>> server,
                              BooleanSupplier pipeUp, FileWatcher watcher) {
        this.certificateFile = certificateFile;
        this.keyFile = keyFile;
        this.current = current;
        this.server = server;
        this.pipeUp = pipeUp;
        this.watcher = watcher;
    }

    /** When {@code certificate} is due for renewal: two thirds into its life. */
    static Instant due(X509Certificate certificate) {
        Instant from = certificate.getNotBefore().toInstant();
        Duration life = Duration.between(from, certificate.getNotAfter().toInstant());
        return from.plus(life.multipliedBy(2).dividedBy(3));
    }

    /** Starts a renewal when one is due and none is under way. */
    public void checkDue() {
        X509Certificate certificate = current.get();
        Instant now = Instant.now();
        if (inFlight || now.isBefore(retryAfter) || now.isBefore(due(certificate))
                || certificate.getSerialNumber().equals(replaced) || !pipeUp.getAsBoolean()) {
            return;
        }
        inFlight = true;
        KeyPair keys = CertificateAuthority.newLeafKeys();
        String name = CertificateNames.commonName(certificate);
        server.apply(CertificateRequests.create(keys, name)).whenComplete((chain, failure) -> {
            if (failure != null) {
                retryAfter = Instant.now().plus(RETRY_AFTER);
                inFlight = false;
                String why = Failures.describe(failure);
                failures.log(why, "could not renew the certificate " + CertificateDiagnosis.describe(certificate)
                        + ", due since " + due(certificate) + ": " + why + "; trying again in "
                        + RETRY_AFTER.toMinutes() + " min");
                return;
            }
            watcher.execute(() -> install(certificate, keys, chain));
        });
    }

    private void install(X509Certificate old, KeyPair keys, List<X509Certificate> chain) {
        try {
            PemFiles.replaceIdentity(certificateFile, keyFile, keys.getPrivate(), chain);
            replaced = old.getSerialNumber();
            log.info("renewed this client's certificate: {} (the next renewal is due at {})",
                    CertificateDiagnosis.describe(chain.get(0)), due(chain.get(0)));
        } catch (IOException e) {
            retryAfter = Instant.now().plus(RETRY_AFTER);
            log.error("could not write the renewed certificate to {} and {}: {}", certificateFile, keyFile,
                    e.toString());
        } finally {
            inFlight = false;
        }
    }
}
