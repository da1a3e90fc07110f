package io.seedstream.infra.broker;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SASL/SCRAM-SHA-512 over TLS for the embedded broker, kept in one directory: a self-signed CA
 * and the broker's key pair signed by it (made with the JDK's own {@code keytool}), a truststore
 * holding the CA, one SCRAM user per component with a random password, and each component's
 * client properties file ({@code trainer.properties}, ...; readable by its owner only). The
 * material is made once and reused, so a restarted broker and its clients agree.
 *
 * <p>Clients authenticate with SCRAM on the TLS listener; the KRaft controller listener takes
 * only mutual TLS with the broker's own certificate (SCRAM credentials live in the metadata the
 * controller serves, so they cannot guard it), which makes the broker's certificate the only
 * other super user besides {@code admin}. What each principal may do is {@link BrokerAcls}.
 */
public final class BrokerSecurity {

    /** The principals: an operator account and one per component. */
    public enum Principal {
        ADMIN, REGISTRY, TOPOLOGY, TRAINER, GENERATOR, DISPATCHER;

        public String user() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(BrokerSecurity.class);

    public static final String MECHANISM = "SCRAM-SHA-512";
    static final String BROKER_DN = "CN=seedstream-broker";
    private static final String STORE_TYPE = "PKCS12";
    private static final String SECRETS = "secrets.properties";

    private final Path dir;
    private final Properties secrets;

    private BrokerSecurity(Path dir, Properties secrets) {
        this.dir = dir;
        this.secrets = secrets;
    }

    /**
     * The security material in {@code dir}, made there first when missing (CA, broker key pair
     * with {@code host} in its subject alternative names, truststore, users' passwords).
     */
    public static BrokerSecurity prepare(Path dir, String host) {
        try {
            Files.createDirectories(dir);
            Path secretsFile = dir.resolve(SECRETS);
            Properties secrets = new Properties();
            if (Files.isRegularFile(secretsFile)) {
                try (Reader r = Files.newBufferedReader(secretsFile, StandardCharsets.UTF_8)) {
                    secrets.load(r);
                }
            } else {
                secrets.put("store.password", randomSecret());
                for (Principal p : Principal.values()) {
                    secrets.put("password." + p.user(), randomSecret());
                }
                ownerOnly(dir, "rwx------"); // before any key is written into it
                makeKeys(dir, secrets.getProperty("store.password"), host);
                // the private keys: the owner only (the truststore and the certificates are public)
                ownerOnly(dir.resolve("ca.p12"), "rw-------");
                ownerOnly(dir.resolve("broker.p12"), "rw-------");
                writePrivate(secretsFile, secrets, "seedstream broker security: store and SCRAM passwords");
            }
            return new BrokerSecurity(dir.toAbsolutePath(), secrets);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare broker security in " + dir, e);
        }
    }

    public Path dir() {
        return dir;
    }

    public String password(Principal p) {
        return secrets.getProperty("password." + p.user());
    }

    private String storePassword() {
        return secrets.getProperty("store.password");
    }

    /** Broker properties for a SASL_SSL client listener on {@code port} and an mTLS controller listener. */
    Map<String, String> brokerProperties(String host, int port, int controllerPort) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("listeners", "SASL_SSL://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
        p.put("advertised.listeners", "SASL_SSL://" + host + ":" + port);
        p.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,CONTROLLER:SSL");
        p.put("inter.broker.listener.name", "SASL_SSL");
        p.put("sasl.enabled.mechanisms", MECHANISM);
        p.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
        p.put("listener.name.sasl_ssl." + MECHANISM.toLowerCase(Locale.ROOT) + ".sasl.jaas.config",
                jaas(Principal.ADMIN.user(), password(Principal.ADMIN)));
        p.put("ssl.keystore.location", dir.resolve("broker.p12").toString());
        p.put("ssl.keystore.type", STORE_TYPE);
        p.put("ssl.keystore.password", storePassword());
        p.put("ssl.key.password", storePassword());
        p.put("ssl.truststore.location", dir.resolve("truststore.p12").toString());
        p.put("ssl.truststore.type", STORE_TYPE);
        p.put("ssl.truststore.password", storePassword());
        p.put("listener.name.controller.ssl.client.auth", "required");
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("super.users", "User:" + Principal.ADMIN.user() + ";User:" + BROKER_DN);
        p.put("allow.everyone.if.no.acl.found", "false");
        return p;
    }

    /** {@code kafka-storage format} arguments that create every user's SCRAM credential. */
    List<String> formatArguments() {
        List<String> args = new ArrayList<>();
        for (Principal p : Principal.values()) {
            args.add("--add-scram");
            args.add(MECHANISM + "=[name=" + p.user() + ",password=" + password(p) + "]");
        }
        return args;
    }

    /** The Kafka client settings of one principal (bootstrap servers excepted). */
    public Map<String, String> clientProperties(Principal p) {
        return clientProperties(p.user(), password(p));
    }

    /** Client settings for any user name and password (a test's wrong password). */
    public Map<String, String> clientProperties(String user, String password) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("security.protocol", "SASL_SSL");
        c.put("sasl.mechanism", MECHANISM);
        c.put("sasl.jaas.config", jaas(user, password));
        c.put("ssl.truststore.location", dir.resolve("truststore.p12").toString());
        c.put("ssl.truststore.type", STORE_TYPE);
        c.put("ssl.truststore.password", storePassword());
        return c;
    }

    /** Writes {@code <principal>.properties} for every principal: bootstrap servers and its client settings. */
    public void writeClientFiles(String bootstrapServers) {
        for (Principal p : Principal.values()) {
            Properties props = new Properties();
            props.put("bootstrap.servers", bootstrapServers);
            props.putAll(clientProperties(p));
            try {
                writePrivate(clientFile(p), props, "seedstream: Kafka client settings of " + p.user());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + clientFile(p), e);
            }
        }
    }

    public Path clientFile(Principal p) {
        return dir.resolve(p.user() + ".properties");
    }

    private static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    private static String randomSecret() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static void ownerOnly(Path p, String permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(permissions));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to set here, so the operator has to protect the directory
            log.warn("cannot restrict {} to its owner ({} has no POSIX permissions); protect {} yourself", p,
                    p.getFileSystem(), p.getParent());
        }
    }

    private static void writePrivate(Path file, Properties p, String comment) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp);
        ownerOnly(tmp, "rw-------");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, comment);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The CA, the broker's key pair signed by it, and the truststore, with keytool. */
    private static void makeKeys(Path dir, String pass, String host) throws IOException {
        Path ca = dir.resolve("ca.p12");
        Path broker = dir.resolve("broker.p12");
        Path trust = dir.resolve("truststore.p12");
        for (Path f : List.of(ca, broker, trust, dir.resolve("ca.crt"), dir.resolve("broker.csr"),
                dir.resolve("broker.crt"))) {
            Files.deleteIfExists(f);
        }
        String san = "SAN=ip:127.0.0.1,dns:localhost" + (host.equals("127.0.0.1") || host.equals("localhost") ? ""
                : (host.matches("[0-9.]+|.*:.*") ? ",ip:" : ",dns:") + host);
        keytool(pass, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=seedstream-ca",
                "-ext", "bc:c", "-validity", "3650", "-keystore", ca.toString(), "-storetype", STORE_TYPE,
                "-storepass:env", PASS_ENV);
        keytool(pass, "-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", BROKER_DN,
                "-validity", "3650", "-keystore", broker.toString(), "-storetype", STORE_TYPE, "-storepass:env", PASS_ENV);
        keytool(pass, "-certreq", "-alias", "broker", "-keystore", broker.toString(), "-storepass:env", PASS_ENV,
                "-file", dir.resolve("broker.csr").toString());
        keytool(pass, "-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass:env", PASS_ENV, "-infile",
                dir.resolve("broker.csr").toString(), "-outfile", dir.resolve("broker.crt").toString(), "-ext", san,
                "-ext", "KU=digitalSignature", "-ext", "EKU=serverAuth,clientAuth", "-validity", "3650", "-rfc");
        keytool(pass, "-exportcert", "-alias", "ca", "-keystore", ca.toString(), "-storepass:env", PASS_ENV, "-rfc", "-file",
                dir.resolve("ca.crt").toString());
        keytool(pass, "-importcert", "-alias", "ca", "-keystore", broker.toString(), "-storepass:env", PASS_ENV, "-file",
                dir.resolve("ca.crt").toString(), "-noprompt");
        keytool(pass, "-importcert", "-alias", "broker", "-keystore", broker.toString(), "-storepass:env", PASS_ENV, "-file",
                dir.resolve("broker.crt").toString());
        keytool(pass, "-importcert", "-alias", "ca", "-keystore", trust.toString(), "-storetype", STORE_TYPE, "-storepass",
                pass, "-file", dir.resolve("ca.crt").toString(), "-noprompt");
        Files.deleteIfExists(dir.resolve("broker.csr"));
    }

    /** keytool reads the store password from this variable: never on a command line other users can list. */
    private static final String PASS_ENV = "SEEDSTREAM_STORE_PASSWORD";

    private static void keytool(String pass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true);
        b.environment().put(PASS_ENV, pass);
        Process p = b.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("keytool " + args[0] + " did not finish within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed (exit " + p.exitValue() + "): " + out.strip());
        }
    }
}
