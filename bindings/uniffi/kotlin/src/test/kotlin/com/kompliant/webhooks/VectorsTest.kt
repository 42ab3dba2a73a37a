package com.kompliant.webhooks

import java.time.Duration
import java.time.Instant
import java.util.Base64
import org.json.JSONObject
import java.util.concurrent.atomic.AtomicInteger
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.TestInstance

/**
 * Every conformance vector of tests/vectors/webhooks.json, one JUnit test each; after them, a
 * check that exactly as many cases ran as the file holds (the suite compares its count of
 * passed `everyVector` tests with the file too).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VectorsTest {
    private val document = JSONObject(TestPaths.vectors.readText())
    private val cases = document.getJSONArray("cases").let { a -> (0 until a.length()).map { a.getJSONObject(it) } }
    private val ran = AtomicInteger()
    private var factoryRan = false

    @TestFactory
    fun everyVector(): List<DynamicTest> {
        factoryRan = true
        return cases.map { case -> DynamicTest.dynamicTest(case.getString("name")) { ran.incrementAndGet(); check(case) } }
    }

    /** Once `everyVector` ran (a filtered run of another method skips this), every case did. */
    @AfterAll
    fun everyCaseOfTheFileRan() {
        if (!factoryRan) return
        val inFile = document.getJSONArray("cases").length()
        assertEquals(inFile, ran.get(), "ran ${ran.get()} of the $inFile vectors in ${TestPaths.vectors}")
    }

    @Test
    fun vectorsCoverEveryReceiveErrorCode() {
        val codes = cases.mapNotNull { it.getJSONObject("expect").optString("error").ifEmpty { null } }.toSet()
        for (code in listOf("MALFORMED_ENVELOPE", "UNKNOWN_KEY", "INVALID_KEY", "DECRYPTION_FAILED",
                            "PAYLOAD_NOT_JSON", "BODY_TOO_LARGE", "TIMESTAMP_OUT_OF_RANGE")) {
            assertTrue(code in codes, "no vector expects $code")
        }
        assertTrue("kompliant-2025-11-21-no-aad" in builtInWireProfiles())
    }

    private fun open(case: JSONObject): Webhook {
        val keyring = Keyring.fromJson(case.getJSONObject("keyring").toString())
        val o = case.optJSONObject("options") ?: JSONObject()
        val options = ReceiverOptions(
            profile = if (o.optString("aad") == "none") WireProfile.named("kompliant-2025-11-21-no-aad") else null,
            maxBodyBytes = if (o.has("max_body_bytes")) o.getLong("max_body_bytes").toULong() else null,
            maxAge = if (o.has("max_age_seconds")) Duration.ofSeconds(o.getLong("max_age_seconds")) else null,
            maxFutureSkew = if (o.has("max_future_skew_seconds")) Duration.ofSeconds(o.getLong("max_future_skew_seconds")) else null,
        )
        val receiver = WebhookReceiver(keyring, options)
        val body = Base64.getDecoder().decode(case.getString("body_b64"))
        return if (o.has("now")) receiver.decryptAt(body, Instant.parse(o.getString("now"))) else receiver.decrypt(body)
    }

    private fun check(case: JSONObject) {
        val expect = case.getJSONObject("expect")
        val outcome = runCatching { open(case) }
        val wantError = expect.optString("error").ifEmpty { null }
        if (wantError != null) {
            val e = outcome.exceptionOrNull() ?: fail("expected $wantError, but it decrypted")
            if (e !is KompliantException) throw e
            assertEquals(wantError, e.code())
            return
        }
        val webhook = outcome.getOrThrow()
        val m = expect.getJSONObject("metadata")
        assertEquals(
            WebhookMetadata(m.getString("id"), m.getString("event_type"), m.getString("timestamp"),
                            m.getString("account_id"), m.getString("schema_version"), m.getString("key_id")),
            webhook.metadata(),
        )
        assertEquals(expect.getLong("retry_count").toULong(), webhook.retryCount())
        val payload = Base64.getDecoder().decode(expect.getString("payload_b64"))
        assertArrayEquals(payload, webhook.payloadBytes())
        assertArrayEquals(payload, webhook.payloadJson().toByteArray(Charsets.UTF_8))
    }
}
