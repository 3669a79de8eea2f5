package io.restpipe.cli;

import io.netty.util.NetUtil;
import io.restpipe.Identity;
import io.restpipe.internal.tls.CertificateAuthority.Role;
import io.restpipe.internal.tls.CertificateAuthority;
import io.restpipe.internal.tls.PemFiles;
import io.restpipe.internal.trust.EnrolmentTokens;
import io.restpipe.internal.trust.IssuedCertificates;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "pki", description = "Create a CA, issue server and client certificates, revoke them.",
        mixinStandardHelpOptions = true,
        subcommands = {PkiCommand.Init.class, PkiCommand.Issue.class, PkiCommand.Revoke.class, PkiCommand.Token.class})
final class PkiCommand implements Callable<Integer> {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    @Override
    public Integer call() {
        throw new UsageError("pki needs a subcommand: init, issue, revoke or token (see 'restpipe help pki')");
    }

    @Command(name = "init", description = "Create a CA: DIR/ca.crt.pem, DIR/ca.key.pem and an empty DIR/crl.pem.",
            mixinStandardHelpOptions = true)
    static final class Init extends OutputCommand implements Callable<Integer> {
        @Option(names = "--dir", paramLabel = "DIR", required = true, description = "where the CA files go")
        Path dir;

        @Option(names = "--name", paramLabel = "CN", defaultValue = "RestPipe CA",
                description = "the CA's common name (default: ${DEFAULT-VALUE})")
        String name;

        @Option(names = "--days", paramLabel = "N", defaultValue = "3650",
                description = "validity in days (default: ${DEFAULT-VALUE})")
        int days;

        @Override
        public Integer call() throws IOException {
            requirePositive(days);
            Path certificate = dir.resolve(CertificateAuthority.CA_CERT_FILE);
            if (Files.exists(certificate)) {
                throw new UsageError(certificate + " already exists; remove it or choose another --dir");
            }
            CertificateAuthority ca = CertificateAuthority.create(name, Duration.ofDays(days));
            ca.save(dir);
            Path crl = dir.resolve(CertificateAuthority.CRL_FILE);
            PemFiles.writeAtomically(crl, ca.crl(Map.of(), BigInteger.ONE));
            out().println("created CA " + certificate + " and " + dir.resolve(CertificateAuthority.CA_KEY_FILE)
                    + ", and the empty revocation list " + crl);
            return 0;
        }
    }

    @Command(name = "issue", description = "Issue DIR/NAME.crt.pem and DIR/NAME.key.pem, signed by the CA in DIR.",
            mixinStandardHelpOptions = true)
    static final class Issue extends OutputCommand implements Callable<Integer> {
        @Option(names = "--dir", paramLabel = "DIR", required = true, description = "the CA's directory")
        Path dir;

        @Option(names = "--name", paramLabel = "NAME", required = true,
                description = "the certificate's CN: a client's identity, or the server's name")
        String name;

        @ArgGroup(multiplicity = "1")
        RoleChoice role;

        @Option(names = "--dns", paramLabel = "HOST", description = "DNS name the server answers to (repeatable)")
        List<String> dns = new ArrayList<>();

        @Option(names = "--ip", paramLabel = "ADDR", description = "IP address the server answers on (repeatable)")
        List<String> ips = new ArrayList<>();

        @Option(names = "--days", paramLabel = "N", defaultValue = "825",
                description = "validity in days (default: ${DEFAULT-VALUE})")
        int days;

        @Option(names = "--force", description = "replace an identity of that name that already exists in DIR")
        boolean force;

        @Override
        public Integer call() throws IOException {
            requirePositive(days);
            requireName(name);
            Path existing = dir.resolve(name + ".key.pem");
            if (!force && (Files.exists(existing) || Files.exists(dir.resolve(name + ".crt.pem")))) {
                throw new UsageError(dir.resolve(name + ".crt.pem") + " or its key already exists: a new key would "
                        + "lock out whoever uses the old one; add --force to replace it, or choose another --name");
            }
            for (String ip : ips) {
                if (!NetUtil.isValidIpV4Address(ip) && !NetUtil.isValidIpV6Address(ip)) {
                    throw new UsageError("--ip '" + ip + "' is not an IP address");
                }
            }
            CertificateAuthority ca = CertificateAuthority.load(dir);
            boolean server = role.server;
            List<String> dnsNames = server && dns.isEmpty() && ips.isEmpty() ? List.of("localhost") : dns;
            List<String> ipAddresses = server && dns.isEmpty() && ips.isEmpty() ? List.of("127.0.0.1") : ips;
            Identity issued = ca.issue(name, server ? Role.SERVER : Role.CLIENT, dnsNames, ipAddresses,
                    Duration.ofDays(days));
            CertificateAuthority.save(issued, dir, name);
            out().println("issued " + (server ? "server" : "client") + " certificate "
                    + dir.resolve(name + ".crt.pem") + " (CN=" + name
                    + (server ? ", SANs " + String.join(", ", concat(dnsNames, ipAddresses)) : "") + ") and key "
                    + dir.resolve(name + ".key.pem"));
            return 0;
        }

        private static List<String> concat(List<String> a, List<String> b) {
            List<String> all = new ArrayList<>(a);
            all.addAll(b);
            return all;
        }
    }

    @Command(name = "revoke", description = "Revoke a certificate: adds it to DIR/crl.pem, which sides running with "
            + "--crl re-read (their live pipes with it are closed).", mixinStandardHelpOptions = true)
    static final class Revoke extends OutputCommand implements Callable<Integer> {
        @Option(names = "--dir", paramLabel = "DIR", required = true, description = "the CA's directory")
        Path dir;

        @ArgGroup(multiplicity = "1")
        Which which;

        static final class Which {
            @Option(names = "--name", paramLabel = "NAME", required = true,
                    description = "the identity whose certificate DIR/NAME.crt.pem to revoke")
            String name;

            @Option(names = "--serial", paramLabel = "HEX", required = true,
                    description = "the serial number (hex) of the certificate to revoke")
            String serial;
        }

        @Override
        public Integer call() throws IOException {
            CertificateAuthority ca = CertificateAuthority.load(dir);
            List<BigInteger> serials = new ArrayList<>();
            String what;
            if (which.name != null) {
                requireName(which.name);
                // Its file from pki issue, and what a server run with --issuer-dir issued to it since (enrolment,
                // renewals).
                Path certificate = dir.resolve(which.name + ".crt.pem");
                if (Files.exists(certificate)) {
                    X509Certificate revoked = PemFiles.readCertificates(certificate).get(0);
                    if (!revoked.getIssuerX500Principal().equals(ca.certificate().getSubjectX500Principal())) {
                        throw new UsageError(certificate + " was issued by " + revoked.getIssuerX500Principal()
                                + ", not by the CA in " + dir);
                    }
                    serials.add(revoked.getSerialNumber());
                }
                serials.addAll(new IssuedCertificates(dir).serials(which.name));
                if (serials.isEmpty()) {
                    throw new UsageError(certificate + " does not exist and no certificate issued to " + which.name
                            + " is on record; revoke by --serial HEX");
                }
                what = "every certificate of " + which.name;
            } else {
                try {
                    serials.add(new BigInteger(which.serial.replace(":", ""), 16));
                } catch (NumberFormatException e) {
                    throw new UsageError("--serial '" + which.serial + "' is not a hexadecimal number");
                }
                what = "the certificate";
            }
            X509CRL crl = null;
            for (BigInteger serial : serials) {
                crl = ca.revoke(dir, serial);
            }
            out().println("revoked " + what + ", serial(s) " + String.join(", ",
                    serials.stream().map(serial -> serial.toString(16)).toList()) + "; "
                    + dir.resolve(CertificateAuthority.CRL_FILE) + " now lists "
                    + crl.getRevokedCertificates().size() + " certificate(s)");
            return 0;
        }
    }

    @Command(name = "token", description = "Print a one-time enrolment token for NAME: a client started with "
            + "'--enroll TOKEN' gets its certificate from a server run with '--issuer-dir DIR'.",
            mixinStandardHelpOptions = true)
    static final class Token extends OutputCommand implements Callable<Integer> {
        @Option(names = "--dir", paramLabel = "DIR", required = true, description = "the CA's directory")
        Path dir;

        @Option(names = "--name", paramLabel = "NAME", required = true,
                description = "the identity (CN) the certificate will carry")
        String name;

        @Option(names = "--ttl", paramLabel = "D", defaultValue = "1h", converter = DurationConverter.class,
                description = "how long the token stays good (default: ${DEFAULT-VALUE})")
        Duration ttl;

        @Override
        public Integer call() throws IOException {
            requireName(name);
            if (ttl.isNegative() || ttl.isZero()) {
                throw new UsageError("--ttl must be positive");
            }
            if (!Files.exists(dir.resolve(CertificateAuthority.CA_KEY_FILE))) {
                throw new UsageError(dir + " holds no CA (" + CertificateAuthority.CA_KEY_FILE + "); create one with "
                        + "restpipe pki init --dir " + dir);
            }
            String token;
            try {
                token = new EnrolmentTokens(dir).create(name, ttl);
            } catch (IllegalArgumentException tooLong) {
                throw new UsageError("--ttl " + ttl.toDays() + " days is too long: " + tooLong.getMessage());
            }
            // The token alone on stdout, for scripts.
            out().println(token);
            return 0;
        }
    }

    static final class RoleChoice {
        @Option(names = "--server", required = true, description = "a server certificate (with SANs)")
        boolean server;

        @Option(names = "--client", required = true, description = "a client certificate (CN = its identity)")
        boolean client;
    }

    private static void requireName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new UsageError("--name '" + name + "' must be letters, digits, '.', '_' or '-'");
        }
    }

    private static void requirePositive(int days) {
        if (days <= 0) {
            throw new UsageError("--days must be positive");
        }
    }
}
