package com.kompliant.webhooks

import java.util.Base64
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Built-in and custom wire profiles (`WireProfile.named`, `WireProfile.fromNames`). */
class WireProfileTest {
    private val keyId = "whk_20251121_01"
    private val secret = WebhookSecret.generate()
    private val metadata = WebhookMetadata("wh_1", "DOCUMENT_UPLOADED", "2025-11-21T14:30:22Z", "sb_1", "2025-11-21", keyId)

    private fun receiver(profile: WireProfile?) =
        WebhookReceiver(Keyring().apply { addSecret(keyId, secret) }, ReceiverOptions(profile = profile))

    /** The body with one metadata field replaced (the tag is left as sealed). */
    private fun tampered(body: ByteArray, field: String, value: String): ByteArray =
        JSONObject(String(body)).put(field, value).toString().toByteArray()

    @Test
    fun builtInProfilesByName() {
        val default = WireProfile.named("kompliant-2025-11-21")
        assertEquals("after_ciphertext", default.tagPosition())
        assertEquals(listOf("id", "event_type", "timestamp", "account_id", "schema_version", "key_id"), default.aadFields())
        assertEquals("|", default.separator())
        val noAad = WireProfile.named("kompliant-2025-11-21-no-aad")
        assertEquals(emptyList<String>(), noAad.aadFields())
        assertNull(noAad.separator())
        assertEquals(builtInWireProfiles(), builtInWireProfiles().map { WireProfile.named(it).name() })
        // Equal settings are equal profiles: the defaults of fromNames are the documented profile.
        assertEquals(WireProfile.fromNames("kompliant-2025-11-21"), default)
        assertEquals(WireProfile.fromNames("kompliant-2025-11-21").hashCode(), default.hashCode())
        assertNotEquals(noAad, default)
        val e = assertThrows<KompliantException.InvalidConfiguration> { WireProfile.named("kompliant-2099") }
        assertTrue(e.detail.contains("kompliant-2025-11-21"), e.detail)
    }

    @Test
    fun aCustomProfileAuthenticatesOnlyItsFields() {
        val custom = WireProfile.fromNames("acme", tagPosition = "before_ciphertext", aadFields = listOf("id", "key_id"), separator = ";")
        assertEquals("acme", custom.name())
        assertEquals("before_ciphertext", custom.tagPosition())
        assertEquals(listOf("id", "key_id"), custom.aadFields())
        assertEquals(";", custom.separator())
        assertTrue(custom.toString().contains("acme"), custom.toString())

        val body = sealWebhook(metadata, """{"a":1}""".toByteArray(), secret, custom).body(0uL)
        val webhook = receiver(custom).decrypt(body)
        assertEquals("""{"a":1}""", webhook.payloadJson())
        // The tag sits before the ciphertext: the default layout cannot open it.
        assertThrows<KompliantException.DecryptionFailed> { receiver(null).decrypt(body) }
        // A field outside the AAD is not authenticated; one inside it is.
        assertEquals("2030-01-01T00:00:00Z", receiver(custom).decrypt(tampered(body, "timestamp", "2030-01-01T00:00:00Z")).timestamp())
        assertThrows<KompliantException.DecryptionFailed> { receiver(custom).decrypt(tampered(body, "id", "wh_2")) }
        // The nonce is 12 bytes, then the 16-byte tag, then as many ciphertext bytes as plaintext.
        val data = Base64.getDecoder().decode(JSONObject(String(body)).getString("data"))
        assertEquals(12 + 16 + """{"a":1}""".length, data.size)
    }

    @Test
    fun unusableSettingsAreInvalidConfiguration() {
        for (build in listOf(
            { WireProfile.fromNames("x", tagPosition = "middle") },
            { WireProfile.fromNames("x", aadFields = listOf("id", "nope")) },
            { WireProfile.fromNames("x", separator = "") },
        )) {
            assertEquals("INVALID_CONFIGURATION", assertThrows<KompliantException.InvalidConfiguration> { build() }.code())
        }
        // No AAD needs no separator.
        assertEquals(emptyList<String>(), WireProfile.fromNames("x", aadFields = emptyList(), separator = "").aadFields())
    }
}
