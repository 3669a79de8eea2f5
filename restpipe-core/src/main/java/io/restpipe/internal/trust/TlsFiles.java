package io.restpipe.internal.trust;

import io.netty.handler.ssl.SslContext;
import io.restpipe.Identity;
import io.restpipe.internal.tls.PemFiles;
import io.restpipe.internal.tls.Revocations;
import io.restpipe.internal.tls.TlsContexts;
import io.restpipe.internal.tls.TlsMaterial;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Consumer;

/**
 * A side's TLS files, {@code --cert}, {@code --key}, {@code --ca} and {@code --crl}, read at start and again
 * whenever they change (SPEC §11): each new handshake uses what is in force then, and pipes already up keep theirs,
 * except those of the certificates a new revocation list revokes. A certificate that does not match its key, or a
 * revocation list no trusted CA signed, is refused and the old files stay in force. Thread-safe.
 */
public final class TlsFiles implements TlsMaterial {
    private final boolean server;
    private final boolean enrolling;
    private final WatchedFile<Material> material;
    private final WatchedFile<Revocations> crl;

    /** What the certificate, key and CA files held when last read, and the TLS context built from them. */
    private record Material(Identity identity, List<X509Certificate> ca, SslContext context) {
    }

    /**
     * Reads the files now (an unusable one is an {@link IllegalArgumentException} naming it) and has
     * {@code watcher} re-read them.
     *
     * @param enrolling a server that lets clients without a certificate connect to enrol
     * @param crl       the revocation list, or {@code null} for none
     * @param revoked   told each new revocation list, to close the live pipes it revokes
     */
    public TlsFiles(boolean server, boolean enrolling, Path cert, Path key, Path ca, Path crl, FileWatcher watcher,
                    Consumer<Revocations> revoked) {
        this.server = server;
        this.enrolling = enrolling;
        this.material = new WatchedFile<>("tls", "certificate, key and CA (--cert, --key, --ca)",
                List.of(cert, key, ca),
                texts -> build(Identity.load(cert, key), PemFiles.certificates(texts.get(2), ca.toString())));
        this.crl = crl == null ? null : new WatchedFile<>("crl", "revocation list (--crl)", crl,
                text -> Revocations.parse(text, crl.toString(), material.get().ca()));
        // A revocation list refused for want of its CA is tried again once the CAs change.
        watcher.watch(material, () -> {
            if (this.crl != null) {
                this.crl.retryRefused();
            }
        });
        if (this.crl != null) {
            watcher.watch(this.crl, () -> revoked.accept(this.crl.get()));
        }
    }

    private Material build(Identity identity, List<X509Certificate> ca) {
        SslContext context = server ? TlsContexts.server(identity, ca, this::revocations, enrolling)
                : TlsContexts.client(identity, ca, this::revocations);
        return new Material(identity, ca, context);
    }

    @Override
    public SslContext current() {
        return material.get().context();
    }

    /** This side's certificate and key now in force. */
    public Identity identity() {
        return material.get().identity();
    }

    /** The revocation list in force; none without {@code --crl}. */
    public Revocations revocations() {
        return crl == null ? Revocations.none() : crl.get();
    }
}
