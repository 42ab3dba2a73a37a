package com.kompliant.webhooks

import java.io.File
import java.nio.file.Files
import java.util.Base64
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows

/**
 * Secrets, case by case: no text a program can make of an object that holds or handles a
 * secret ([renderings]: `toString()`, templates, `%s`, collections, exception messages and
 * stack traces, data-class components) contains the secret in any form of [SecretForms]
 * (latin-1, base64 standard / URL-safe, padded or not, hex lower / upper). RedactionTest
 * pins the `toString()` texts; this covers every rendering, every way of building each object
 * and the errors that handle secrets. One test per object:
 *
 * - `WebhookSecret` (fromBase64, fromBytes, generate): [webhookSecret]
 * - `Keyring` with added keys (add, addSecret): [keyringWithAddedKeys]
 * - `Keyring.fromJson` / `fromFile` (and `addToKeyringFile`'s file): [keyringFromJsonAndFile]
 * - `Keyring.fromEnv`: [keyringFromEnv]
 * - `WebhookReceiver` (and the keyring it hands back, the webhook and sealed envelope it handles): [webhookReceiver]
 * - `KompliantClient(apiKey, secretKey, authToken)` and its configuration errors: [clientWithCredentials]
 * - `KompliantClient.fromEnv` and its configuration errors: [clientFromEnv]
 * - an API error of a client (UNAUTHORIZED from the simulator): [apiErrorOfAClient]
 * - `CreatedWebhookKey` from the simulator's `webhook.key.create`, and built locally: [createdWebhookKey]
 * - `PendingRotation`: the binding does not expose it (`rotateWebhookKey` drives it inside);
 *   what a user reaches of a rotation is the store's arguments and the `Rotation`: [rotation]
 * - the STORE_FAILED error of a rotation whose store fails (plain, `KompliantException`,
 *   `WebhookKeyStore.safe` with a `kotlin.Error`): [storeFailedError]
 * - INVALID_KEY for a bad secret (invalid base64, wrong length) from every entry point: [badSecretErrors]
 * - INVALID_KEY for a keyring JSON with a bad entry: [keyringJsonWithABadEntry]
 * - and the checker itself: [theCheckerFindsEveryFormOfASecret]
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecretRenderingTest {
    private lateinit var sim: Simulator

    @BeforeAll
    fun startSimulator() {
        sim = Simulator.start()
    }

    @AfterAll
    fun stopSimulator() = sim.close()

    private val keyId = "whk_20251121_01"
    private fun b64(bytes: ByteArray): String = Base64.getEncoder().encodeToString(bytes)
    private fun urlSafe(bytes: ByteArray): String = Base64.getUrlEncoder().encodeToString(bytes)

    /** The simulator's credentials that are secrets (the API key is sent in clear). */
    private val simCredentials: Map<String, ByteArray>
        get() = mapOf("sim secret key" to Base64.getDecoder().decode(sim.secretKey), "sim auth token" to sim.authToken.toByteArray())

    @Test
    fun theCheckerFindsEveryFormOfASecret() {
        val secret = distinctiveSecret("checker")
        val forms = SecretForms.of(secret)
        assertEquals(7, forms.values.toSet().size, "every form is a separate check: $forms")
        for ((name, form) in forms) {
            assertTrue(name in SecretForms.foundIn("log line: $form (end)", secret), name)
            val leak = renderings(KompliantException.IoException("IO_ERROR", "cannot write $form", null))
            assertThrows<AssertionError>(name) { assertNoSecretIn(leak, mapOf("secret" to secret)) }
        }
        assertEquals(emptyList<String>(), SecretForms.foundIn("WebhookSecret([REDACTED])", secret))
        assertNoSecretIn(renderings(WebhookSecret.fromBytes(secret)), mapOf("secret" to secret))
    }

    @Test
    fun webhookSecret() {
        val bytes = distinctiveSecret("webhook-secret")
        for (secret in listOf(WebhookSecret.fromBytes(bytes), WebhookSecret.fromBase64(b64(bytes)), WebhookSecret.fromBase64(" ${b64(bytes)}\n"))) {
            assertEquals(b64(bytes), secret.toBase64())
            val texts = renderings(secret)
            assertTrue(texts.values.all { it.contains("WebhookSecret([REDACTED])") }, texts.toString())
            assertNoSecretIn(texts, mapOf("secret" to bytes))
        }
        val generated = WebhookSecret.generate()
        assertNoSecretIn(renderings(generated), mapOf("generated secret" to Base64.getDecoder().decode(generated.toBase64())))
    }

    @Test
    fun keyringWithAddedKeys() {
        val first = distinctiveSecret("keyring-add")
        val second = distinctiveSecret("keyring-add-secret")
        val keyring = Keyring()
        keyring.add(keyId, b64(first))
        keyring.addSecret("whk_20251121_02", WebhookSecret.fromBytes(second))
        val texts = renderings(keyring)
        assertTrue(texts.values.all { it.contains(keyId) && it.contains("whk_20251121_02") && it.contains("[REDACTED]") }, texts.toString())
        assertNoSecretIn(texts, mapOf("first" to first, "second" to second))
        assertNoSecretIn(renderings(keyring.keyIds()), mapOf("first" to first, "second" to second))
    }

    @Test
    fun keyringFromJsonAndFile() {
        val first = distinctiveSecret("keyring-json")
        val second = distinctiveSecret("keyring-file")
        val json = """{"$keyId":"${b64(first)}","whk_20251121_02":"${b64(second)}"}"""
        val file = File(Files.createTempDirectory("kompliant-keys").toFile(), "keys.json").apply { writeText(json) }
        val third = distinctiveSecret("keyring-file-added")
        addToKeyringFile(file.path, "whk_20251121_03", b64(third))
        val secrets = mapOf("first" to first, "second" to second, "third" to third)
        for (keyring in listOf(Keyring.fromJson(json), Keyring.fromFile(file.path))) {
            val texts = renderings(keyring)
            assertTrue(texts.values.all { it.contains(keyId) && it.contains("[REDACTED]") }, texts.toString())
            assertNoSecretIn(texts, secrets)
        }
        assertEquals(listOf(keyId, "whk_20251121_02", "whk_20251121_03"), Keyring.fromFile(file.path).keyIds())
    }

    @Test
    fun keyringFromEnv() {
        val first = distinctiveSecret("keyring-env-1")
        val second = distinctiveSecret("keyring-env-2")
        val vars = mapOf(
            "KOMPLIANT_WEBHOOK_SECRET_20251121_01" to b64(first),
            "KOMPLIANT_WEBHOOK_SECRET_20251121_02" to b64(second) + "\n",
        )
        val keyring = ProcessEnv.withVars(vars, clearPrefixes = listOf("KOMPLIANT_WEBHOOK_SECRET_")) { Keyring.fromEnv() }
        assertEquals(listOf(keyId, "whk_20251121_02"), keyring.keyIds())
        assertNoSecretIn(renderings(keyring), mapOf("first" to first, "second" to second))
        assertNoSecretIn(renderings(WebhookReceiver(keyring)), mapOf("first" to first, "second" to second))

        // A bad value next to good ones: the error names the variable, never a value.
        val third = distinctiveSecret("keyring-env-3")
        for (bad in listOf(urlSafe(third), b64(third.copyOf(31)), String(third, Charsets.ISO_8859_1))) {
            val e = ProcessEnv.withVars(vars + ("KOMPLIANT_WEBHOOK_SECRET_20251121_03" to bad), listOf("KOMPLIANT_WEBHOOK_SECRET_")) {
                expectTypedError(setOf("INVALID_KEY")) { Keyring.fromEnv() }
            }
            assertTrue(e.detail().contains("whk_20251121_03"), e.detail())
            assertNoSecretIn(renderings(e), mapOf("first" to first, "second" to second, "third" to third, "31 bytes of third" to third.copyOf(31)))
        }
    }

    @Test
    fun webhookReceiver() {
        val bytes = distinctiveSecret("receiver")
        val secret = WebhookSecret.fromBytes(bytes)
        val keyring = Keyring().apply { addSecret(keyId, secret) }
        val receiver = WebhookReceiver(keyring, ReceiverOptions(maxBodyBytes = 65536uL))
        val metadata = WebhookMetadata("wh_1", "DOCUMENT_UPLOADED", "2025-11-21T14:30:22Z", "sb_1", "2025-11-21", keyId)
        val sealed = sealWebhook(metadata, """{"document_id":"d_1"}""".toByteArray(), secret)
        val webhook = receiver.decrypt(sealed.body(0uL))
        val secrets = mapOf("secret" to bytes)
        for (value in listOf<Any>(receiver, receiver.keyring(), webhook, sealed, webhook.metadata())) {
            assertNoSecretIn(renderings(value), secrets)
        }
        assertTrue(receiver.toString().contains(keyId) && receiver.toString().contains("[REDACTED]"), receiver.toString())
        // Refusals by this receiver quote neither the secret nor, for a forged body, anything of it.
        val forged = sealWebhook(metadata, "{}".toByteArray(), WebhookSecret.fromBytes(distinctiveSecret("forger"))).body(0uL)
        val e = expectTypedError(setOf("DECRYPTION_FAILED")) { receiver.decrypt(forged) }
        assertNoSecretIn(renderings(e), secrets + ("forger's secret" to distinctiveSecret("forger")))
    }

    private val apiKey = "kw-api-key-shown-in-clear"
    private val signingKey = distinctiveSecret("client-signing-key")
    private val authToken = "kw>tk?auth-token-for-redaction-tests"
    private val clientSecrets = mapOf("secret key" to signingKey, "auth token" to authToken.toByteArray())

    @Test
    fun clientWithCredentials() {
        val client = KompliantClient(apiKey, b64(signingKey), authToken, ClientOptions(baseUrl = "http://127.0.0.1:9"))
        val texts = renderings(client)
        assertTrue(texts.values.all { it.contains(apiKey) && it.contains("[REDACTED]") }, texts.toString())
        assertNoSecretIn(texts, clientSecrets)

        // Configuration errors raised with the credentials at hand never quote them.
        val errors = listOf(
            expectTypedError(setOf("INVALID_CONFIGURATION")) { KompliantClient(apiKey, b64(signingKey), authToken, ClientOptions(baseUrl = "http://api.example.com")) },
            expectTypedError(setOf("INVALID_CONFIGURATION")) { KompliantClient(apiKey, urlSafe(signingKey), authToken) },
            expectTypedError(setOf("INVALID_CONFIGURATION")) { KompliantClient(apiKey, String(signingKey, Charsets.ISO_8859_1), authToken) },
            expectTypedError(setOf("INVALID_CONFIGURATION")) { KompliantClient(apiKey, b64(signingKey), "$authToken\r\nX-Injected: 1") },
            expectTypedError(setOf("INVALID_CONFIGURATION")) { KompliantClient(apiKey, b64(signingKey), authToken, ClientOptions(timeout = java.time.Duration.ZERO)) },
        )
        for (e in errors) assertNoSecretIn(renderings(e), clientSecrets)
    }

    @Test
    fun clientFromEnv() {
        val vars = mapOf(
            "KOMPLIANT_API_KEY" to apiKey, "KOMPLIANT_SECRET_KEY" to b64(signingKey),
            "KOMPLIANT_AUTH_TOKEN" to authToken, "KOMPLIANT_BASE_URL" to "http://127.0.0.1:9",
        )
        val client = ProcessEnv.withVars(vars) { KompliantClient.fromEnv() }
        val texts = renderings(client)
        assertTrue(texts.values.all { it.contains(apiKey) && it.contains("[REDACTED]") }, texts.toString())
        assertNoSecretIn(texts, clientSecrets)

        val broken = listOf(
            vars + ("KOMPLIANT_SECRET_KEY" to urlSafe(signingKey)),
            vars + ("KOMPLIANT_AUTH_TOKEN" to null),
            vars + ("KOMPLIANT_SECRET_KEY" to null),
            vars + ("KOMPLIANT_AUTH_TOKEN" to "$authToken\nX-Injected: 1"),
            vars + ("KOMPLIANT_BASE_URL" to "http://api.example.com"),
        )
        for (env in broken) {
            val e = ProcessEnv.withVars(env) { expectTypedError(setOf("INVALID_CONFIGURATION")) { KompliantClient.fromEnv() } }
            assertNoSecretIn(renderings(e), clientSecrets)
        }
    }

    @Test
    fun apiErrorOfAClient(): Unit = runBlocking {
        val wrongToken = "kw>tk?not-the-simulators-token"
        val client = KompliantClient(sim.apiKey, sim.secretKey, wrongToken, ClientOptions(baseUrl = sim.baseUrl))
        val e = assertThrows<KompliantException.Unauthorized> { runBlocking { client.checkVersion() } }
        checkTypedError(e, setOf("UNAUTHORIZED"))
        assertNoSecretIn(renderings(e), simCredentials + ("wrong token" to wrongToken.toByteArray()))
        assertNoSecretIn(renderings(client), simCredentials + ("wrong token" to wrongToken.toByteArray()))
    }

    @Test
    fun createdWebhookKey(): Unit = runBlocking {
        val client = sim.client()
        val created = client.createWebhookKey(sim.accountId)
        val secret = mapOf("created secret" to Base64.getDecoder().decode(created.secret.toBase64()))
        val texts = renderings(created)
        assertTrue(texts.getValue("toString()").contains(created.keyId) && texts.getValue("toString()").contains("WebhookSecret([REDACTED])"), texts.toString())
        assertTrue(texts.keys.containsAll(listOf("component1() toString()", "component2() toString()")), texts.keys.toString())
        assertNoSecretIn(texts, secret)
        // What destructuring and copy() hand out.
        val (id, s, status, at) = created
        assertNoSecretIn(mapOf("destructured" to "$id $s $status $at", "copy()" to created.copy(status = KeyStatus.Active).toString()), secret)
        assertNoSecretIn(renderings(client), secret + simCredentials)

        // Built locally, as a test or a fake client would.
        val local = distinctiveSecret("created-locally")
        val built = CreatedWebhookKey("whk_20251121_07", WebhookSecret.fromBytes(local), KeyStatus.Inactive, "2025-11-21T00:00:00Z")
        assertNoSecretIn(renderings(built), mapOf("local secret" to local))
    }

    @Test
    fun rotation(): Unit = runBlocking {
        val client = sim.client()
        val keyring = Keyring()
        var stored: String? = null
        val rotation = client.rotateWebhookKey(sim.accountId, WebhookKeyStore.safe { id, secretBase64 ->
            stored = secretBase64
            keyring.add(id, secretBase64)
        })
        val secret = mapOf("rotated secret" to Base64.getDecoder().decode(stored ?: error("the store was not called")))
        assertEquals(listOf(rotation.newKeyId), keyring.keyIds())
        val texts = renderings(rotation)
        assertTrue(texts.getValue("toString()").contains(rotation.newKeyId), texts.toString())
        assertNoSecretIn(texts, secret)
        assertNoSecretIn(renderings(keyring) + renderings(client).mapKeys { "client ${it.key}" }, secret + simCredentials)
    }

    @Test
    fun storeFailedError(): Unit = runBlocking {
        val client = sim.client()
        var stored: String? = null
        /** What a careless store might say: the secret in every base64 spelling, and the client's token. */
        fun quote(secretBase64: String): String {
            stored = secretBase64
            val bytes = Base64.getDecoder().decode(secretBase64)
            val spellings = listOf(secretBase64, secretBase64.trimEnd('='), urlSafe(bytes), urlSafe(bytes).trimEnd('='))
            return "vault refused ${spellings.joinToString("; ")}; token ${sim.authToken}; key ${sim.secretKey}"
        }
        val stores = mapOf<String, WebhookKeyStore>(
            "plain store throwing an Exception" to object : WebhookKeyStore {
                override suspend fun store(keyId: String, secretBase64: String) = throw IllegalStateException(quote(secretBase64))
            },
            "plain store throwing a KompliantException" to object : WebhookKeyStore {
                override suspend fun store(keyId: String, secretBase64: String) =
                    throw KompliantException.IoException("IO_ERROR", quote(secretBase64), null)
            },
            "safe store throwing a kotlin.Error" to WebhookKeyStore.safe { _, secretBase64 -> throw AssertionError(quote(secretBase64)) },
        )
        for ((what, store) in stores) {
            stored = null
            val e = assertThrows<KompliantException.StoreFailed>(what) { runBlocking { client.rotateWebhookKey(sim.accountId, store) } }
            checkTypedError(e, setOf("STORE_FAILED"))
            val secret = Base64.getDecoder().decode(stored ?: error("$what: the store was not called"))
            val texts = renderings(e)
            // The operator still sees why, with the secrets masked.
            assertTrue(texts.getValue("toString()").contains("vault refused [REDACTED]"), "$what: ${texts.getValue("toString()")}")
            assertNoSecretIn(texts, simCredentials + ("new secret" to secret))
        }
    }

    @Test
    fun badSecretErrors() {
        val secret = distinctiveSecret("bad-secret")
        val short = secret.copyOf(31)
        val long = secret + byteArrayOf(0x21)
        val secrets = mapOf("secret" to secret, "31 bytes" to short, "33 bytes" to long)
        // Not base64 (URL-safe, unpadded, a stray character, the raw text), or base64 of the
        // wrong length (31 or 33 bytes; hex is base64's alphabet and decodes to 48 bytes).
        val inputs = listOf(
            urlSafe(secret), b64(secret).trimEnd('='), b64(secret).replaceRange(10, 10, "!"), String(secret, Charsets.ISO_8859_1),
            b64(short), b64(long), SecretForms.of(secret).getValue("hex (lower case)"), SecretForms.of(secret).getValue("hex (upper case)"),
        )
        val file = File(Files.createTempDirectory("kompliant-keys").toFile(), "keys.json").path
        for (text in inputs) {
            val errors = listOf(
                expectTypedError(setOf("INVALID_KEY")) { WebhookSecret.fromBase64(text) },
                expectTypedError(setOf("INVALID_KEY")) { Keyring().add(keyId, text) },
                expectTypedError(setOf("INVALID_KEY")) { addToKeyringFile(file, keyId, text) },
                expectTypedError(setOf("INVALID_KEY")) { Keyring.fromJson("""{"$keyId":"$text"}""") },
            )
            for (e in errors) assertNoSecretIn(renderings(e), secrets)
        }
        for (bytes in listOf(short, long, ByteArray(0))) {
            val e = expectTypedError(setOf("INVALID_KEY")) { WebhookSecret.fromBytes(bytes) }
            assertTrue(e.detail().contains("decodes to ${bytes.size} bytes"), e.detail())
            assertNoSecretIn(renderings(e), secrets)
        }
        assertFalse(File(file).exists(), "no keyring file is written for a bad secret")
    }

    @Test
    fun keyringJsonWithABadEntry() {
        val good = distinctiveSecret("json-good-entry")
        val bad = distinctiveSecret("json-bad-entry")
        val secrets = mapOf("good" to good, "bad" to bad, "31 bytes of bad" to bad.copyOf(31))
        val documents = mapOf(
            "a secret of 31 bytes" to """{"$keyId":"${b64(good)}","whk_20251121_02":"${b64(bad.copyOf(31))}"}""",
            "a URL-safe secret" to """{"$keyId":"${b64(good)}","whk_20251121_02":"${urlSafe(bad)}"}""",
            "a secret that is not a string" to """{"$keyId":"${b64(good)}","whk_20251121_02":["${b64(bad)}"]}""",
            "a key id twice" to """{"$keyId":"${b64(good)}","$keyId":"${b64(bad)}"}""",
            "the secret swapped with the key id" to """{"${b64(good)}":"$keyId"}""",
            "a secret cut off" to """{"$keyId":"${b64(good)}","whk_20251121_02":"${b64(bad).take(20)}""",
        )
        for ((what, json) in documents) {
            val e = expectTypedError(setOf("INVALID_KEY")) { Keyring.fromJson(json) }
            assertNoSecretIn(renderings(e).mapKeys { "$what: ${it.key}" }, secrets)
        }
        val e = expectTypedError(setOf("INVALID_KEY")) { Keyring.fromJson(documents.getValue("a URL-safe secret")) }
        assertTrue(e.detail().contains("whk_20251121_02"), "the error names the entry: ${e.detail()}")
    }
}
