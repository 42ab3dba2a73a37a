package com.kompliant.webhooks

import java.io.File
import java.nio.file.Files
import kotlin.random.Random
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * Hostile input across the FFI: whatever bytes reach `WebhookReceiver.decrypt` and whatever
 * text reaches `Keyring.fromJson` / `fromFile`, the outcome is a result or a
 * [KompliantException] with a stable code, the variant of that code and its documented
 * status; never another exception type (UniFFI's `InternalException` for a Rust panic, a JNA
 * error, ...) and never a crash of the JVM. The Kotlin side of Python's
 * `test_arbitrary_bytes_only_ever_raise_webhook_errors`, plus the shapes a fuzzer reaches
 * slowly: random bytes, non-UTF-8, empty, deeply nested, oversized.
 */
class BoundaryTest {
    private val keyId = "whk_20251121_01"
    private val secretBytes = distinctiveSecret("boundary")
    private val secret = WebhookSecret.fromBytes(secretBytes)
    private val metadata = WebhookMetadata("wh_2x8mKq9vNcR4tLpW7yJhBd", "WORKFLOW_CREATED", "2025-11-21T14:30:22.123Z", "sb_123", "2025-11-21", keyId)
    private val payload =
        """{"version":"1.0","subject_record_id":"sr_1","user_context":{"user_id":"u_1","user_type":"USER"},"workflow_id":"w_1","workflow_type":"BUSINESS_APPLICATION"}"""

    private val receiveCodes = setOf(
        "MALFORMED_ENVELOPE", "UNKNOWN_KEY", "DECRYPTION_FAILED", "PAYLOAD_NOT_JSON", "BODY_TOO_LARGE", "TIMESTAMP_OUT_OF_RANGE",
    )

    private fun receiver(options: ReceiverOptions? = null): WebhookReceiver {
        val keyring = Keyring()
        keyring.addSecret(keyId, secret)
        return WebhookReceiver(keyring, options)
    }

    private fun sealed(payload: String = this.payload): ByteArray =
        sealWebhook(metadata, payload.toByteArray(), secret).body(0uL)

    /**
     * What [receiver] made of [body]: `"ok"` (then the webhook must be exactly what was sealed:
     * a changed body never opens to something else) or the code of a consistent typed error.
     */
    private fun outcome(receiver: WebhookReceiver, body: ByteArray, expectedPayload: String = payload): String {
        val webhook = try {
            receiver.decrypt(body)
        } catch (e: KompliantException) {
            checkTypedError(e, receiveCodes, " for body ${body.toString(Charsets.ISO_8859_1)}")
            assertNoSecretIn(mapOf("toString()" to e.toString(), "message" to e.message.toString()), mapOf("webhook secret" to secretBytes))
            return e.code()
        } catch (t: Throwable) {
            throw AssertionError("decrypt threw ${t.javaClass.name}, not a KompliantException, for body ${body.toString(Charsets.ISO_8859_1)}", t)
        }
        assertEquals(expectedPayload, webhook.payloadJson())
        assertEquals(metadata, webhook.metadata())
        return "ok"
    }

    @Test
    fun seededMutationsOfASealedBodyOnlyEverGiveTypedErrors() {
        val rng = Random(20251121)
        val receiver = receiver(ReceiverOptions(maxBodyBytes = 4096uL))
        val valid = sealed()
        val outcomes = sortedMapOf<String, Int>()
        repeat(3000) {
            val body = valid.toMutableList()
            repeat(rng.nextInt(1, 5)) {
                val choice = rng.nextDouble()
                if (choice < 0.5 && body.isNotEmpty()) {
                    body[rng.nextInt(body.size)] = rng.nextInt(256).toByte()                       // replace a byte
                } else if (choice < 0.75 && body.isNotEmpty()) {
                    body.subList(rng.nextInt(body.size), body.size).clear()                        // truncate
                } else {
                    val at = rng.nextInt(body.size + 1)                                            // insert random bytes
                    body.addAll(at, List(rng.nextInt(1, 9)) { rng.nextInt(256).toByte() })
                }
            }
            outcomes.merge(outcome(receiver, body.toByteArray()), 1, Int::plus)
        }
        assertEquals(3000, outcomes.values.sum())
        assertTrue(outcomes.keys.all { it == "ok" || it in receiveCodes }, outcomes.toString())
        // Mutations land in every check: the parser and the tag both refuse some.
        assertTrue(outcomes.keys.containsAll(setOf("MALFORMED_ENVELOPE", "DECRYPTION_FAILED")), outcomes.toString())
    }

    @Test
    fun wholeRandomByteStringsAreMalformedEnvelopes() {
        val rng = Random(424242)
        val receiver = receiver()
        repeat(1000) {
            val body = rng.nextBytes(rng.nextInt(0, 600))
            assertEquals("MALFORMED_ENVELOPE", outcome(receiver, body))
        }
        // Random text made of JSON's own characters gets further into the parser.
        val alphabet = "{}[]\":,.-+0123456789eEtrufalsn \\u\t\n"
        repeat(1000) {
            val text = String(CharArray(rng.nextInt(0, 200)) { alphabet[rng.nextInt(alphabet.length)] })
            assertEquals("MALFORMED_ENVELOPE", outcome(receiver, text.toByteArray()))
        }
    }

    @Test
    fun nonUtf8BodiesAreMalformedEnvelopes() {
        val receiver = receiver()
        val valid = sealed()
        val text = valid.toString(Charsets.UTF_8)
        val at = text.indexOf("wh_2x8mKq9vNcR4tLpW7yJhBd") + 3
        val invalid = listOf(
            byteArrayOf(0xFF.toByte()),                                                      // never valid in UTF-8
            byteArrayOf(0x80.toByte()),                                                      // lone continuation byte
            byteArrayOf(0xC0.toByte(), 0xAF.toByte()),                                       // overlong '/'
            byteArrayOf(0xED.toByte(), 0xA0.toByte(), 0x80.toByte()),                        // UTF-16 surrogate D800
            byteArrayOf(0xE2.toByte(), 0x82.toByte()),                                       // truncated sequence
            byteArrayOf(0xF4.toByte(), 0x90.toByte(), 0x80.toByte(), 0x80.toByte()),          // above U+10FFFF
        )
        for (bad in invalid) {
            val body = valid.copyOfRange(0, at) + bad + valid.copyOfRange(at, valid.size)
            val e = expectTypedError(setOf("MALFORMED_ENVELOPE"), body) { receiver.decrypt(body) }
            assertTrue(e.detail().contains("UTF-8"), e.detail())
        }
        // The same envelope in another encoding, or behind a byte-order mark, is not the JSON Kompliant sends.
        for (body in listOf(text.toByteArray(Charsets.UTF_16LE), text.toByteArray(Charsets.UTF_16), text.toByteArray(Charsets.ISO_8859_1).let { byteArrayOf(0xEF.toByte(), 0xBB.toByte(), 0xBF.toByte()) + it })) {
            expectTypedError(setOf("MALFORMED_ENVELOPE"), body) { receiver.decrypt(body) }
        }
        assertEquals("ok", outcome(receiver, valid))
    }

    @Test
    fun emptyAndBlankBodiesAreMalformedEnvelopes() {
        val receiver = receiver()
        for (body in listOf(ByteArray(0), " ".toByteArray(), "\r\n\t ".toByteArray(), ByteArray(1), "{}".toByteArray(), "null".toByteArray())) {
            val e = expectTypedError(setOf("MALFORMED_ENVELOPE"), body) { receiver.decrypt(body) }
            assertEquals(400, e.httpStatus().toInt())
            assertEquals("webhook rejected", e.publicMessage())
        }
    }

    @Test
    fun deeplyNestedJsonNeverExhaustsTheStack() {
        val receiver = receiver()
        val depth = 100_000
        for (body in listOf("[".repeat(depth), "[".repeat(depth) + "]".repeat(depth), "{\"a\":".repeat(depth) + "1" + "}".repeat(depth))) {
            expectTypedError(setOf("MALFORMED_ENVELOPE"), body.toByteArray().copyOf(64)) { receiver.decrypt(body.toByteArray()) }
        }
        // Unknown envelope fields are skipped without recursion, however deep: the webhook opens.
        val extra = sealed().toString(Charsets.UTF_8).replaceFirst("{", "{\"extra\":" + "[".repeat(depth) + "]".repeat(depth) + ",")
        assertEquals("ok", outcome(receiver, extra.toByteArray()))
        // An authenticated payload nested deeper than the core's limit (127 levels of arrays and
        // objects, docs/decided.md) is PAYLOAD_NOT_JSON, not a crash; at the limit it opens
        // byte-exactly, and the typed view of a payload lacking the event's fields is a schema
        // mismatch.
        val deepPayload = "{\"a\":" + "[".repeat(depth) + "]".repeat(depth) + "}"
        expectTypedError(setOf("PAYLOAD_NOT_JSON")) { receiver.decrypt(sealed(deepPayload)) }
        val atLimit = "{\"a\":" + "[".repeat(126) + "]".repeat(126) + "}"
        assertEquals("ok", outcome(receiver, sealed(atLimit), expectedPayload = atLimit))
        expectTypedError(setOf("PAYLOAD_SCHEMA_MISMATCH")) { receiver.decrypt(sealed(atLimit)).event() }
        // A deep value where the view expects a string or an object.
        val deepField = payload.replace("\"u_1\"", "[".repeat(depth) + "]".repeat(depth))
        expectTypedError(setOf("PAYLOAD_NOT_JSON")) { receiver.decrypt(sealed(deepField)) }
        val deepFieldAtLimit = payload.replace("\"u_1\"", "[".repeat(100) + "]".repeat(100))
        expectTypedError(setOf("PAYLOAD_SCHEMA_MISMATCH")) { receiver.decrypt(sealed(deepFieldAtLimit)).event() }
    }

    @Test
    fun aBodyOverTheLimitIsRefusedWithBodyTooLargeBeforeParsing() {
        // The default limit (8 MiB): garbage one byte over it is refused for its size, not parsed.
        val limit = 8 * 1024 * 1024
        val default = receiver()
        val over = ByteArray(limit + 1) { '['.code.toByte() }
        val e = expectTypedError(setOf("BODY_TOO_LARGE")) { default.decrypt(over) }
        assertEquals(413, e.httpStatus().toInt())
        // At the limit the same garbage is parsed (and refused as malformed).
        expectTypedError(setOf("MALFORMED_ENVELOPE")) { default.decrypt(over.copyOf(limit)) }
        expectTypedError(setOf("BODY_TOO_LARGE")) { default.decrypt(ByteArray(limit + 1) { 0xFF.toByte() }) }

        // A small limit: a valid body exactly at it opens; one byte more (a valid envelope
        // still) is refused, as is an over-limit body naming a key the keyring lacks.
        val valid = sealed()
        val small = receiver(ReceiverOptions(maxBodyBytes = valid.size.toULong()))
        assertEquals("ok", outcome(small, valid))
        expectTypedError(setOf("BODY_TOO_LARGE")) { small.decrypt(valid + ' '.code.toByte()) }
        val unknownKey = valid.toString(Charsets.UTF_8).replace(keyId, "whk_20251121_99").toByteArray() + ' '.code.toByte()
        expectTypedError(setOf("BODY_TOO_LARGE")) { small.decrypt(unknownKey) }
        expectTypedError(setOf("UNKNOWN_KEY")) { receiver().decrypt(unknownKey) }
    }

    private val goodJson: String
        get() = """{"$keyId":"${java.util.Base64.getEncoder().encodeToString(secretBytes)}"}"""

    @Test
    fun malformedKeyringJsonIsInvalidKey() {
        val b64 = java.util.Base64.getEncoder().encodeToString(secretBytes)
        val depth = 100_000
        val malformed = listOf(
            "", " ", "{", "}", "[]", "null", "42", "\"$b64\"", "[\"$keyId\",\"$b64\"]",
            """{"$keyId"}""", """{"$keyId":}""", """{"$keyId":5}""", """{"$keyId":null}""", """{"$keyId":["$b64"]}""",
            """{"$keyId":{"retired_at":"2025-11-21T09:30:00Z"}}""", """{"$keyId":{"secret":"$b64","retired_at":"yesterday"}}""",
            """{"$keyId":{"secret":5}}""", "{}", """{"$keyId":"$b64",}""", """{"$keyId":"$b64"} trailing""",
            """{"$keyId":"$b64"}{}""", """{"$keyId":"$b64","$keyId":"$b64"}""", """{"$keyId":"$b64""",
            """{'$keyId':'$b64'}""", """{"$keyId":"\ud800"}""", """{"$keyId":"\u0000"}""", """{"bad key id!":"$b64"}""",
            """{"":"$b64"}""", "{\"${"w".repeat(10_000)}\":\"$b64\"}", "[".repeat(depth), "{\"$keyId\":" + "[".repeat(depth),
            "{\"a\":".repeat(depth) + "\"x\"" + "}".repeat(depth),
        )
        val dir = Files.createTempDirectory("kompliant-keyring").toFile()
        for ((i, json) in malformed.withIndex()) {
            val input = json.toByteArray().copyOf(minOf(json.length, 200))
            val e = expectTypedError(setOf("INVALID_KEY"), input) { Keyring.fromJson(json) }
            assertNoSecretIn(renderings(e), mapOf("secret" to secretBytes))
            // The same document as a file, and as the file a rotation's store adds a key to.
            val file = File(dir, "keys-$i.json").apply { writeText(json) }
            expectTypedError(setOf("INVALID_KEY"), input) { Keyring.fromFile(file.path) }
            // (A file holding `{}` is a keyring with no key yet: a writer may add the first one.)
            if (json.isNotBlank() && json != "{}") {
                expectTypedError(setOf("INVALID_KEY"), input) { addToKeyringFile(file.path, "whk_20251121_02", b64) }
            }
        }
        // Bytes that are not UTF-8 at all, in a file: not a keyring file.
        val binary = File(dir, "binary.json").apply { writeBytes(byteArrayOf(0x7B, 0xFF.toByte(), 0xFE.toByte(), 0x7D)) }
        expectTypedError(setOf("INVALID_KEY")) { Keyring.fromFile(binary.path) }
        assertEquals(listOf(keyId), Keyring.fromJson(goodJson).keyIds())
    }

    @Test
    fun seededMutationsOfAKeyringJsonGiveAKeyringOrInvalidKey() {
        val rng = Random(20251127)
        val second = distinctiveSecret("boundary-2")
        val valid = """{"$keyId":"${java.util.Base64.getEncoder().encodeToString(secretBytes)}","whk_20251121_02":"${java.util.Base64.getEncoder().encodeToString(second)}"}"""
            .toByteArray()
        val outcomes = sortedMapOf<String, Int>()
        repeat(1000) {
            val bytes = valid.toMutableList()
            repeat(rng.nextInt(1, 4)) {
                val choice = rng.nextDouble()
                if (choice < 0.5 && bytes.isNotEmpty()) bytes[rng.nextInt(bytes.size)] = rng.nextInt(32, 127).toByte()
                else if (choice < 0.75 && bytes.isNotEmpty()) bytes.subList(rng.nextInt(bytes.size), bytes.size).clear()
                else bytes.addAll(rng.nextInt(bytes.size + 1), List(rng.nextInt(1, 5)) { rng.nextInt(32, 127).toByte() })
            }
            val json = bytes.toByteArray().toString(Charsets.UTF_8)
            val outcome = try {
                Keyring.fromJson(json).keyIds()
                "ok"
            } catch (e: KompliantException) {
                checkTypedError(e, setOf("INVALID_KEY"), " for $json")
                assertNoSecretIn(renderings(e), mapOf("first secret" to secretBytes, "second secret" to second))
                e.code()
            } catch (t: Throwable) {
                throw AssertionError("Keyring.fromJson threw ${t.javaClass.name} for $json", t)
            }
            outcomes.merge(outcome, 1, Int::plus)
        }
        assertEquals(setOf("INVALID_KEY", "ok"), outcomes.keys, outcomes.toString())
    }
}
