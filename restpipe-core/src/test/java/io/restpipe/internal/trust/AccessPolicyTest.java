package io.restpipe.internal.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AccessPolicyTest {
    private static final String FILE_SERVERS = """
            mode = "enforce"
            default = "deny"

            [[rule]]
            name = "web app reads the file servers"
            effect = "allow"
            from = ["caller:webapp"]
            to = ["client:files-*"]
            verbs = ["GET", "head"]
            nouns = ["file/**"]

            [[rule]]
            name = "nobody reads secrets"
            effect = "deny"
            nouns = ["file/secret/**", "*/passwd"]

            [[rule]]
            name = "the server may ask anyone the time"
            effect = "allow"
            from = ["server"]
            nouns = ["time"]
            """;

    private final AccessPolicy policy = AccessPolicy.parse(FILE_SERVERS);

    @ParameterizedTest(name = "{0} {1} {2} {3} -> {4} by {5}")
    @CsvSource({
            "caller:webapp, client:files-1, GET, file/a/b.txt, true, web app reads the file servers",
            "caller:webapp, client:files-1, HEAD, file/x, true, web app reads the file servers",
            "caller:webapp, client:files-1, DELETE, file/x, false, default",
            "caller:webapp, client:db-1, GET, file/x, false, default",
            "caller:other, client:files-1, GET, file/x, false, default",
            "caller:webapp, client:files-1, GET, file/secret/key, false, nobody reads secrets",
            "caller:webapp, client:files-1, GET, etc/passwd, false, nobody reads secrets",
            "caller:webapp, client:files-1, GET, a/etc/passwd, false, default",
            "server, client:anyone, GET, time, true, the server may ask anyone the time",
            "client:files-1, server, GET, time, false, default",
    })
    void aMatchingDenyBeatsAnyAllowAndWhatNoRuleMatchesGetsTheDefault(String from, String to, String verb,
                                                                     String noun, boolean allowed, String rule) {
        assertThat(policy.decide(from, to, verb, noun)).isEqualTo(new AccessDecision(allowed, rule));
    }

    @Test
    void nameGlobsCrossSlashesAndNounGlobsStayWithinASegmentUnlessDoubled() {
        assertThat(Glob.name("client:files-*").matches("client:files-eu/1")).isTrue();
        assertThat(Glob.noun("file/*").matches("file/a")).isTrue();
        assertThat(Glob.noun("file/*").matches("file/a/b")).isFalse();
        assertThat(Glob.noun("file/**").matches("file/a/b")).isTrue();
        assertThat(Glob.noun("**").matches("anything/at/all")).isTrue();
        assertThat(Glob.noun("*").matches("time")).isTrue();
        assertThat(Glob.noun("*").matches("a/b")).isFalse();
        assertThat(Glob.noun("a.b").matches("aXb")).as("no regex meaning leaks through").isFalse();
        assertThat(Glob.name("caller:*").matches("caller:")).as("the nameless caller of an open gateway").isTrue();
    }

    @Test
    void missingListsMeanAnyAndAnEmptyPolicyAllowsEverything() {
        AccessPolicy open = AccessPolicy.parse("");
        assertThat(open.decide("caller:", "server", "POST", "x/y").allowed()).isTrue();
        assertThat(open.shadow()).isFalse();
        AccessPolicy shadow = AccessPolicy.parse("mode = \"shadow\"\ndefault = \"deny\"\n");
        assertThat(shadow.shadow()).isTrue();
        assertThat(shadow.decide("server", "client:a", "GET", "time")).isEqualTo(new AccessDecision(false, "default"));
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
            "mode = \"strict\"|mode must be \"enforce\" or \"shadow\", not \"strict\"",
            "default = \"maybe\"|default must be \"allow\" or \"deny\", not \"maybe\"",
            "defualt = \"deny\"|unknown key \"defualt\" at the top level",
            "[[rule]]\\neffect = \"allow\"|rule #1 has no name",
            "[[rule]]\\nname = \"r\"|rule \"r\" has no effect",
            "[[rule]]\\nname = \"r\"\\neffect = \"permit\"|effect of rule \"r\" must be \"allow\" or \"deny\"",
            "[[rule]]\\nname = \"r\"\\neffect = \"allow\"\\nfrom = [\"clients:a\"]|from entry \"clients:a\" names no one",
            "[[rule]]\\nname = \"r\"\\neffect = \"allow\"\\nto = [\"caller:a\"]|to entry \"caller:a\" names no one",
            "[[rule]]\\nname = \"r\"\\neffect = \"allow\"\\nverbs = [1]|verbs in rule \"r\" must be a list of strings",
            "[[rule]]\\nname = \"r\"\\neffect = \"allow\"\\nnoun = [\"x\"]|unknown key \"noun\" in rule \"r\"",
            "[[rule]]\\nname = \"r\"\\neffect = \"allow\"\\n[[rule]]\\nname = \"r\"\\neffect = \"deny\"|two rules are named \"r\"",
            "rule = 3|rules are written [[rule]]",
            "[[rule]]\\nname = \"r\"\\neffect = \"allow\"\\nfrom = []|from in rule \"r\" is an empty list, which would match no one",
            "mode = |not valid TOML",
    })
    void aBadPolicyIsRefusedWithWordsThatNameTheProblem(String toml, String message) {
        assertThatThrownBy(() -> AccessPolicy.parse(toml.replace("\\n", "\n")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }
}
