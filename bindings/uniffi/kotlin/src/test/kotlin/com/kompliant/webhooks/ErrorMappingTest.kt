package com.kompliant.webhooks

import java.time.Duration
import java.time.Instant
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Core errors arrive as KompliantException variants carrying the stable code. */
class ErrorMappingTest {
    private val keyId = "whk_20251121_01"
    private val secret = WebhookSecret.generate()

    private fun metadata(eventType: String = "WORKFLOW_CREATED", keyId: String = this.keyId) =
        WebhookMetadata("wh_2x8mKq9vNcR4tLpW7yJhBd", eventType, "2025-11-21T14:30:22.123Z", "sb_123", "2025-11-21", keyId)

    private fun receiver(options: ReceiverOptions? = null): WebhookReceiver {
        val keyring = Keyring()
        keyring.addSecret(keyId, secret)
        return WebhookReceiver(keyring, options)
    }

    private fun sealed(payload: String = """{"version":"1.0"}""", eventType: String = "WORKFLOW_CREATED") =
        sealWebhook(metadata(eventType), payload.toByteArray(), secret).body(0uL)

    @Test
    fun unknownKeyAsksKompliantToRetry() {
        val other = sealWebhook(metadata(keyId = "whk_20251121_02"), "{}".toByteArray(), secret).body(0uL)
        val e = assertThrows<KompliantException.UnknownKey> { receiver().decrypt(other) }
        assertEquals("UNKNOWN_KEY", e.code)
        assertEquals("UNKNOWN_KEY", e.code())
        assertEquals(503, e.httpStatus().toInt())
        assertEquals("webhook cannot be processed yet; retry later", e.publicMessage())
        assertTrue(e.detail.contains("whk_20251121_02"))
        assertTrue(e.toString().startsWith("UNKNOWN_KEY: "), e.toString())
        assertNull(e.api)
    }

    @Test
    fun tamperedBodyIsDecryptionFailedWithAPublicMessageThatSaysNothing() {
        val body = String(sealed(), Charsets.UTF_8).replace("wh_2x8mKq9vNcR4tLpW7yJhBd", "wh_2x8mKq9vNcR4tLpW7yJhBX")
        val e = assertThrows<KompliantException> { receiver().decrypt(body.toByteArray()) }
        assertTrue(e is KompliantException.DecryptionFailed)
        assertEquals("DECRYPTION_FAILED", e.code())
        assertEquals(400, e.httpStatus().toInt())
        assertEquals("webhook rejected", e.publicMessage())
    }

    @Test
    fun malformedTooLargeAndOutOfWindowBodies() {
        assertEquals("MALFORMED_ENVELOPE", assertThrows<KompliantException.MalformedEnvelope> {
            receiver().decrypt("{\"id\":1}".toByteArray())
        }.code)
        val small = receiver(ReceiverOptions(maxBodyBytes = 10uL))
        val tooLarge = assertThrows<KompliantException.BodyTooLarge> { small.decrypt(sealed()) }
        assertEquals(413, tooLarge.httpStatus().toInt())
        val windowed = receiver(ReceiverOptions(maxAge = Duration.ofHours(1)))
        assertEquals("TIMESTAMP_OUT_OF_RANGE", assertThrows<KompliantException.TimestampOutOfRange> {
            windowed.decryptAt(sealed(), Instant.parse("2025-11-22T14:30:22Z"))
        }.code)
        assertEquals("wh_2x8mKq9vNcR4tLpW7yJhBd", windowed.decryptAt(sealed(), Instant.parse("2025-11-21T15:00:00Z")).id())
    }

    @Test
    fun payloadThatIsNotAJsonObject() {
        val e = assertThrows<KompliantException.PayloadNotJson> { receiver().decrypt(sealed(payload = "[1,2]")) }
        assertEquals("PAYLOAD_NOT_JSON", e.code)
    }

    @Test
    fun typedViewOfAPayloadMissingFieldsIsASchemaMismatch() {
        val webhook = receiver().decrypt(sealed(payload = """{"version":"1.0"}"""))
        val e = assertThrows<KompliantException.PayloadSchemaMismatch> { webhook.event() }
        assertEquals("PAYLOAD_SCHEMA_MISMATCH", e.code())
        // The raw payload is still there.
        assertEquals("""{"version":"1.0"}""", webhook.payloadJson())
        val other = receiver().decrypt(sealed(payload = """{"x":1}""", eventType = "DOCUMENT_UPLOADED")).event()
        assertEquals(Event.Other("DOCUMENT_UPLOADED"), other)
    }

    @Test
    fun badSecretsAreInvalidKeyWithoutEchoingTheSecret() {
        val e = assertThrows<KompliantException.InvalidKey> { Keyring().add(keyId, "s3cr3t-s3cr3t") }
        assertEquals("INVALID_KEY", e.code)
        assertFalse(e.detail.contains("s3cr3t"))
        assertFalse(e.toString().contains("s3cr3t"))
        assertFalse(e.message.contains("s3cr3t"))
        val short = java.util.Base64.getEncoder().encodeToString(ByteArray(25) { 7 })
        val e2 = assertThrows<KompliantException.InvalidKey> { WebhookSecret.fromBase64(short) }
        assertTrue(e2.detail.contains("25 bytes"), e2.detail)
        assertThrows<KompliantException.InvalidKey> { Keyring.fromJson("[]") }
        assertThrows<KompliantException.IoException> { Keyring.fromFile("/nonexistent/keys.json") }
    }

    @Test
    fun unusableClientConfigurationIsInvalidConfiguration() {
        val e = assertThrows<KompliantException.InvalidConfiguration> {
            KompliantClient("key", "c2VjcmV0", "token", ClientOptions(baseUrl = "http://api.example.com"))
        }
        assertEquals("INVALID_CONFIGURATION", e.code)
        assertNotNull(e.api)
        assertEquals(0u, e.api!!.attempts)
        assertThrows<KompliantException.InvalidConfiguration> { KompliantClient("key", "not base64!", "token") }
        assertThrows<KompliantException.InvalidConfiguration> { WireProfile.named("nope") }
        val zero = assertThrows<KompliantException.InvalidConfiguration> { WebhookReceiver(Keyring(), ReceiverOptions(maxBodyBytes = 0uL)) }
        assertTrue(zero.detail.contains("max_body_bytes"), zero.detail)
        assertTrue(receiver(ReceiverOptions(maxBodyBytes = 1uL)).toString().contains("max_body_bytes: 1,"))
        assertThrows<KompliantException.MalformedEnvelope> {
            sealWebhook(metadata(eventType = "A|B"), "{}".toByteArray(), secret)
        }
    }

    @Test
    fun variantsCarryTheirOwnCode() {
        val e: KompliantException = KompliantException.DailyKeyLimit("DAILY_KEY_LIMIT", "limit", null)
        assertEquals("DAILY_KEY_LIMIT", e.code())
        assertEquals(500, e.httpStatus().toInt())
        assertEquals("DAILY_KEY_LIMIT: limit", e.toString())
    }
}
