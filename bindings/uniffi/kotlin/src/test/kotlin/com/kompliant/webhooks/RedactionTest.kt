package com.kompliant.webhooks

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** toString() of everything that holds a secret shows the key id and [REDACTED], never the bytes. */
class RedactionTest {
    private val secret = WebhookSecret.generate()
    private val b64 = secret.toBase64()

    @Test
    fun secretPrintsRedacted() {
        assertEquals("WebhookSecret([REDACTED])", secret.toString())
        assertEquals(44, b64.length)
        assertEquals(b64, WebhookSecret.fromBase64(b64).toBase64())
    }

    @Test
    fun keyringListsIdsOnly() {
        val keyring = Keyring()
        keyring.add("whk_20251121_01", b64)
        val text = keyring.toString()
        assertTrue(text.contains("whk_20251121_01"), text)
        assertTrue(text.contains("[REDACTED]"), text)
        assertFalse(text.contains(b64), text)
        assertFalse(WebhookReceiver(keyring).toString().contains(b64))
    }

    @Test
    fun clientHidesSecretKeyAndAuthToken() {
        val secretKey = "c3VwZXItc2VjcmV0LXNpZ25pbmcta2V5"
        val client = KompliantClient("api-key-1", secretKey, "auth-token-xyz", ClientOptions(baseUrl = "http://127.0.0.1:9"))
        val text = client.toString()
        assertTrue(text.contains("api-key-1"), text)
        assertFalse(text.contains(secretKey), text)
        assertFalse(text.contains("auth-token-xyz"), text)
        assertTrue(text.contains("[REDACTED]"), text)
    }

    @Test
    fun webhookShowsMetadataNotPayload() {
        val keyring = Keyring()
        keyring.addSecret("whk_20251121_01", secret)
        val metadata = WebhookMetadata("wh_1", "DOCUMENT_UPLOADED", "2025-11-21T14:30:22Z", "sb_1", "2025-11-21", "whk_20251121_01")
        val sealed = sealWebhook(metadata, """{"ssn":"123-45-6789"}""".toByteArray(), secret)
        val webhook = WebhookReceiver(keyring).decrypt(sealed.body(0uL))
        assertTrue(webhook.toString().contains("wh_1"))
        assertFalse(webhook.toString().contains("123-45-6789"), webhook.toString())
        assertFalse(sealed.toString().contains(b64))
    }

    @Test
    fun createdKeyRecordPrintsTheSecretRedacted() {
        val created = CreatedWebhookKey("whk_20251121_01", secret, KeyStatus.Inactive, "2025-11-21T00:00:00Z")
        assertTrue(created.toString().contains("WebhookSecret([REDACTED])"), created.toString())
        assertFalse(created.toString().contains(b64))
    }
}
