package io.restpipe.internal.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CertificateNamesTest {
    private static KeyPair keys;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        keys = generator.generateKeyPair();
    }

    @Test
    void commonNameIsThePeersIdentityWhateverElseTheSubjectHolds() throws Exception {
        assertThat(CertificateNames.commonName(selfSigned("CN=client-1"))).isEqualTo("client-1");
        assertThat(CertificateNames.commonName(selfSigned("CN=edge 7,OU=ops,O=Example"))).isEqualTo("edge 7");
        assertThat(CertificateNames.commonName(selfSigned("O=Example,CN=last"))).isEqualTo("last");
    }

    @Test
    void specialAndNonAsciiCharactersComeBackUnescaped() throws Exception {
        assertThat(CertificateNames.commonName(selfSigned("CN=a\\,b\\+c=d"))).isEqualTo("a,b+c=d");
        assertThat(CertificateNames.commonName(selfSigned("CN=Zürich-β"))).isEqualTo("Zürich-β");
    }

    @Test
    void theCommonNameIsFoundInsideAMultiValuedName() throws Exception {
        assertThat(CertificateNames.commonName(selfSigned("O=Example+CN=inside"))).isEqualTo("inside");
    }

    @Test
    void aSubjectWithoutCommonNameNamesThePeerWhole() throws Exception {
        assertThat(CertificateNames.commonName(selfSigned("OU=ops,O=Example"))).isEqualTo("OU=ops,O=Example");
    }

    private static X509Certificate selfSigned(String subject) throws Exception {
        X500Principal name = new X500Principal(subject);
        Instant now = Instant.now();
        var builder = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, Date.from(now),
                Date.from(now.plus(1, ChronoUnit.DAYS)), name, keys.getPublic());
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }
}
