package com.kompliant.webhooks

import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * `WebhookReceiver.decrypt` takes one JNI call (NativeDecrypt, bindings/uniffi/src/jvm.rs);
 * the generated `WebhookReceiverBase.decrypt` takes UniFFI's path. Both must give the same
 * webhook and the same exceptions, and the fast path must be the one the tests run.
 */
class FastPathTest {
    private val keyId = "whk_20251121_01"
    private val secret = WebhookSecret.generate()
    private val keyring = Keyring().also { it.addSecret(keyId, secret) }
    private val metadata =
        WebhookMetadata("wh_é1", "DOCUMENT_UPLOADED", "2025-11-21T14:30:22.123Z", "sb_ü", "2025-11-21", keyId)
    private val payload = """{"name":"Zoë 😀","n":[1,2,3]}"""

    private fun body(retry: ULong = 7uL) = sealWebhook(metadata, payload.toByteArray(), secret).body(retry)

    @Test
    fun theJniPathIsLoaded() {
        assertTrue(NativeDecrypt.available, "the JNI fast path did not load: decrypt fell back to JNA")
    }

    @Test
    fun bothPathsGiveTheSameWebhook() {
        val body = body()
        val fast = WebhookReceiver(keyring).decrypt(body)
        val slow = WebhookReceiverBase(keyring).decrypt(body)
        for (w in listOf(fast, slow)) {
            assertEquals(metadata, w.metadata())
            assertEquals(listOf("wh_é1", "DOCUMENT_UPLOADED", "2025-11-21T14:30:22.123Z", "sb_ü", "2025-11-21", keyId),
                listOf(w.id(), w.eventType(), w.timestamp(), w.accountId(), w.schemaVersion(), w.keyId()))
            assertEquals(7uL, w.retryCount())
            assertEquals(payload, w.payloadJson())
            assertArrayEquals(payload.toByteArray(), w.payloadBytes())
            assertEquals(Event.Other("DOCUMENT_UPLOADED"), w.event())
            assertTrue(w.toString().contains("wh_é1") && !w.toString().contains("Zoë"), w.toString())
        }
        assertEquals(slow.toString(), fast.toString())
    }

    @Test
    fun bothPathsThrowTheSameCodes() {
        val bodies = listOf(ByteArray(0), "{".toByteArray(), body().also { it[it.size / 2] = 'x'.code.toByte() }, ByteArray(100) { -1 })
        for (bad in bodies) {
            val fast = assertThrows<KompliantException> { WebhookReceiver(keyring).decrypt(bad) }
            val slow = assertThrows<KompliantException> { WebhookReceiverBase(keyring).decrypt(bad) }
            assertEquals(slow::class, fast::class)
            assertEquals(slow.code(), fast.code())
            assertEquals(slow.message, fast.message)
        }
    }

    @Test
    fun aClosedReceiverRefusesToDecrypt() {
        val receiver = WebhookReceiver(keyring)
        receiver.decrypt(body())
        receiver.close()
        assertThrows<IllegalStateException> { receiver.decrypt(body()) }
        receiver.close() // twice is fine
    }

    @Test
    fun threadsShareOneReceiver() {
        val receiver = WebhookReceiver(keyring)
        val body = body(0uL)
        val pool = Executors.newFixedThreadPool(4)
        val results = (1..4).map { pool.submit<Int> { (1..2_000).count { receiver.decrypt(body).payloadJson() == payload } } }
        pool.shutdown()
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS))
        assertEquals(List(4) { 2_000 }, results.map { it.get() })
    }
}
