package io.restpipe.internal.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GatewayTokensTest {
    private final GatewayTokens tokens = GatewayTokens.parse("""
            # who may call this gateway
            webapp %s
              ops   %s

            webapp %s
            """.formatted(GatewayTokens.sha256("s3cret"), GatewayTokens.sha256("ops-token").toUpperCase(),
            GatewayTokens.sha256("s3cret-next")));

    @Test
    void aBearerTokenWhoseHashIsListedNamesItsCallerAndAnythingElseNamesNoOne() {
        assertThat(tokens.authenticate("Bearer s3cret")).isEqualTo("webapp");
        assertThat(tokens.authenticate("bearer s3cret-next")).as("scheme case, a second token").isEqualTo("webapp");
        assertThat(tokens.authenticate("Bearer ops-token")).isEqualTo("ops");
        assertThat(tokens.authenticate("Bearer wrong")).isNull();
        assertThat(tokens.authenticate("Basic czNjcmV0")).isNull();
        assertThat(tokens.authenticate("Bearer ")).isNull();
        assertThat(tokens.authenticate(null)).isNull();
        assertThat(tokens.size()).isEqualTo(3);
    }

    @Test
    void theHashIsSha256InHexAsSha256sumPrintsIt() {
        // printf %s abc | sha256sum
        assertThat(GatewayTokens.sha256("abc"))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void aBadLineIsRefusedNamingItsNumber() {
        assertThatThrownBy(() -> GatewayTokens.parse("webapp\n"))
                .hasMessageContaining("line 1 has 1 field(s)");
        assertThatThrownBy(() -> GatewayTokens.parse("\nwebapp s3cret\n"))
                .hasMessageContaining("line 2: \"s3cret\" is not a SHA-256 in hex")
                .hasMessageContaining("never the token itself");
        String hash = GatewayTokens.sha256("shared");
        assertThatThrownBy(() -> GatewayTokens.parse("a " + hash + "\nb " + hash + "\n"))
                .hasMessageContaining("line 2: the token of b is also a's");
    }
}
