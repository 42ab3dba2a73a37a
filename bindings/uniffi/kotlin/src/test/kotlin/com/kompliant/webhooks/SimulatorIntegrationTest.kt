package com.kompliant.webhooks

import java.io.File
import java.nio.file.Files
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows

/**
 * The whole job against `kompliant sim` on loopback (started by the test): create → store →
 * activate → endpoint → trigger → receive over HTTP → rotate with a Kotlin store → receive with
 * the new key, plus the API's error codes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SimulatorIntegrationTest {
    private lateinit var sim: Simulator

    @BeforeAll
    fun startSimulator() {
        sim = Simulator.start()
    }

    @AfterAll
    fun stopSimulator() = sim.close()

    private suspend fun KompliantClient.trigger(eventType: String): String {
        val answer = call("sim.event.trigger", JSONObject().put("event_type", eventType).toString(), RetryPolicy.ONLY_IF_NOT_SENT)
        return JSONObject(answer.dataJson).getString("webhook_id")
    }

    @Test
    fun createStoreActivateTriggerReceiveAndRotate(): Unit = runBlocking {
        val client = sim.client()
        assertEquals("2025-03-24", client.checkVersion().currentVersion)
        val keyring = Keyring()
        TestReceiver(WebhookReceiver(keyring)).use { receiver ->
            // Create → store → activate by hand.
            val created = client.createWebhookKey(sim.accountId)
            assertEquals(KeyStatus.Inactive, created.status)
            assertTrue(created.keyId.matches(Regex("whk_\\d{8}_\\d{2,}")), created.keyId)
            assertFalse(created.toString().contains(created.secret.toBase64()))
            keyring.addSecret(created.keyId, created.secret)
            val activated = client.activateWebhookKey(created.keyId)
            assertEquals(KeyStatus.Active, activated.status)
            assertEquals(KeyStatus.Active, client.getWebhookKey(created.keyId).status)

            // Endpoint configuration CRUD.
            val configId = client.createWebhookConfig(sim.accountId, receiver.url)
            assertTrue(configId.startsWith("whc_"), configId)
            assertEquals(receiver.url, client.getWebhookConfig(sim.accountId, configId).url)
            client.updateWebhookConfig(sim.accountId, configId, receiver.url)
            assertEquals(listOf(configId), client.listWebhookConfigs(sim.accountId).map { it.configId })
            assertThrows<KompliantException.UrlAlreadyExists> {
                runBlocking { client.createWebhookConfig(sim.accountId, receiver.url) }
            }

            // Trigger → receive, with typed views.
            val id = client.trigger("WORKFLOW_CREATED")
            val webhook = receiver.next()
            assertEquals(id, webhook.id())
            assertEquals(created.keyId, webhook.keyId())
            assertEquals(0uL, webhook.retryCount())
            val view = webhook.event()
            assertTrue(view is Event.Workflow, view.toString())
            assertEquals("WORKFLOW_CREATED", (view as Event.Workflow).workflow.eventType)
            assertTrue(JSONObject(webhook.payloadJson()).getString("workflow_id").startsWith("w_"))

            client.trigger("SUBJECT_RECORD_DATA_UPDATED")
            assertTrue(receiver.next().event() is Event.SubjectRecordDataUpdated)
            client.trigger("DOCUMENT_UPLOADED")
            assertEquals(Event.Other("DOCUMENT_UPLOADED"), receiver.next().event())

            // Rotation with a store implemented here, in Kotlin (a suspend function).
            val keysFile = File(Files.createTempDirectory("kompliant-keys").toFile(), "keys.json")
            val stored = mutableListOf<String>()
            val store = object : WebhookKeyStore {
                override suspend fun store(keyId: String, secretBase64: String) {
                    delay(10)
                    addToKeyringFile(keysFile.path, keyId, secretBase64)
                    keyring.add(keyId, secretBase64)
                    stored += keyId
                }
            }
            val rotation = client.rotateWebhookKey(sim.accountId, store)
            assertEquals(listOf(rotation.newKeyId), stored)
            assertNotEquals(created.keyId, rotation.newKeyId)
            assertEquals(created.keyId, rotation.previousKeyId)
            assertEquals(KeyStatus.Deleted, client.getWebhookKey(created.keyId).status)
            assertEquals(listOf(rotation.newKeyId), Keyring.fromFile(keysFile.path).keyIds())

            client.trigger("WORKFLOW_COMPLETED")
            val afterRotation = receiver.next()
            assertEquals(rotation.newKeyId, afterRotation.keyId())
            assertTrue(receiver.refused.isEmpty(), "refused: ${receiver.refused}")

            // A DELETED key can never be activated again.
            val deleted = assertThrows<KompliantException.KeyDeleted> {
                runBlocking { client.activateWebhookKey(created.keyId) }
            }
            assertEquals("KEY_DELETED", deleted.code)
            assertEquals(400.toUShort(), deleted.api?.httpStatus)
            assertEquals("KEY_DELETED", deleted.api?.subCode)
            assertTrue(deleted.api?.traceId?.startsWith("trc_") == true, deleted.api.toString())

            client.deleteWebhookConfig(sim.accountId, configId)
            assertEquals(emptyList<WebhookConfig>(), client.listWebhookConfigs(sim.accountId))
        }
    }

    @Test
    fun aStoreThatThrowsAbortsTheRotationBeforeActivation(): Unit = runBlocking {
        val client = sim.client()
        val failing = object : WebhookKeyStore {
            override suspend fun store(keyId: String, secretBase64: String) {
                throw IllegalStateException("vault is down")
            }
        }
        val e = assertThrows<KompliantException.StoreFailed> {
            runBlocking { client.rotateWebhookKey(sim.accountId, failing) }
        }
        assertEquals("STORE_FAILED", e.code())
        assertTrue(e.detail.contains("vault is down"), e.detail)
        val newKey = Regex("whk_\\d{8}_\\d+").find(e.detail)?.value ?: error("no key id in ${e.detail}")
        assertEquals(KeyStatus.Inactive, client.getWebhookKey(newKey).status)

        val typed = object : WebhookKeyStore {
            override suspend fun store(keyId: String, secretBase64: String) {
                addToKeyringFile("/nonexistent-dir/keys.json", keyId, secretBase64)
            }
        }
        val e2 = assertThrows<KompliantException.StoreFailed> {
            runBlocking { client.rotateWebhookKey(sim.accountId, typed) }
        }
        assertTrue(e2.detail.contains("IO_ERROR"), e2.detail)
    }

    /** The spellings of a base64 secret a store's error might quote. */
    private fun spellings(secret: String): List<String> {
        val urlSafe = secret.replace('+', '-').replace('/', '_')
        return listOf(secret, secret.trimEnd('='), urlSafe, urlSafe.trimEnd('='))
    }

    /** Every text of [e] a program might log, none of which may hold a secret. */
    private fun texts(e: KompliantException): List<String> =
        listOf(e.toString(), e.message ?: error("no message on $e"), e.detail(), e.api()?.message ?: error("no api info on $e"))

    @Test
    fun aStoreErrorQuotingTheSecretIsMaskedInTheRotationError(): Unit = runBlocking {
        val client = sim.client()
        var secret: String? = null
        val leaky = object : WebhookKeyStore {
            override suspend fun store(keyId: String, secretBase64: String) {
                secret = secretBase64
                val (std, noPad, urlSafe, urlNoPad) = spellings(secretBase64)
                throw IllegalStateException("vault refused $std; $noPad; $urlSafe; $urlNoPad; token ${sim.authToken}")
            }
        }
        val e = assertThrows<KompliantException.StoreFailed> { runBlocking { client.rotateWebhookKey(sim.accountId, leaky) } }
        val leaks = spellings(secret ?: error("the store was not called")) + listOf(sim.authToken, sim.secretKey)
        for (text in texts(e)) {
            // The store's text is quoted (so the operator sees why), with every secret masked.
            assertTrue(text.contains("IllegalStateException: vault refused [REDACTED]"), text)
            for (leak in leaks) assertFalse(text.contains(leak), "a secret leaked into: $text")
        }
        val newKey = Regex("whk_\\d{8}_\\d+").find(e.detail)?.value ?: error("no key id in ${e.detail}")
        assertEquals(KeyStatus.Inactive, client.getWebhookKey(newKey).status)

        // The same for a store that throws the binding's own exception.
        val typed = object : WebhookKeyStore {
            override suspend fun store(keyId: String, secretBase64: String) {
                secret = secretBase64
                throw KompliantException.IoException("IO_ERROR", "cannot write $secretBase64 to the vault", null)
            }
        }
        val e2 = assertThrows<KompliantException.StoreFailed> { runBlocking { client.rotateWebhookKey(sim.accountId, typed) } }
        for (text in texts(e2)) {
            assertTrue(text.contains("IO_ERROR: cannot write [REDACTED] to the vault"), text)
            for (leak in spellings(secret!!)) assertFalse(text.contains(leak), "a secret leaked into: $text")
        }
    }

    @Test
    fun aSafeStoreReportsKotlinErrorsAsStoreFailed(): Unit = runBlocking {
        val client = sim.client()
        val todo = WebhookKeyStore.safe { _, _ -> TODO("the vault client") }
        val e = assertThrows<KompliantException.StoreFailed> { runBlocking { client.rotateWebhookKey(sim.accountId, todo) } }
        assertTrue(e.detail.contains("the store threw kotlin.NotImplementedError: An operation is not implemented: the vault client"), e.detail)
        val newKey = Regex("whk_\\d{8}_\\d+").find(e.detail)?.value ?: error("no key id in ${e.detail}")
        assertEquals(KeyStatus.Inactive, client.getWebhookKey(newKey).status)

        val asserting = object : WebhookKeyStore {
            override suspend fun store(keyId: String, secretBase64: String) = throw AssertionError("vault invariant broken")
        }
        val e2 = assertThrows<KompliantException.StoreFailed> {
            runBlocking { client.rotateWebhookKey(sim.accountId, asserting.safe()) }
        }
        assertTrue(e2.detail.contains("java.lang.AssertionError: vault invariant broken"), e2.detail)

        // A safe store that succeeds rotates as usual; a KompliantException keeps its code.
        val keyring = Keyring()
        val rotation = client.rotateWebhookKey(sim.accountId, WebhookKeyStore.safe { keyId, secret -> keyring.add(keyId, secret) })
        assertEquals(listOf(rotation.newKeyId), keyring.keyIds())
        val typed = WebhookKeyStore.safe { _, _ -> addToKeyringFile("/nonexistent-dir/keys.json", "whk_20251121_01", WebhookSecret.generate().toBase64()) }
        val e3 = assertThrows<KompliantException.StoreFailed> { runBlocking { client.rotateWebhookKey(sim.accountId, typed) } }
        assertTrue(e3.detail.contains("NOT activated: IO_ERROR: "), e3.detail)
    }

    /**
     * Why `WebhookKeyStore.safe` exists: UniFFI's generated code catches only kotlin.Exception,
     * so a kotlin.Error from a plain store never reaches Rust and the rotation never returns.
     * If a UniFFI upgrade fixes that, this fails: then update the docs (WebhookKeyStore, docs/kotlin-swift.md).
     */
    @Test
    fun aKotlinErrorFromAPlainStoreLeavesTheRotationHanging(): Unit = runBlocking {
        val client = sim.client()
        val plain = object : WebhookKeyStore {
            override suspend fun store(keyId: String, secretBase64: String) = throw AssertionError("escapes UniFFI")
        }
        // The Error ends up in the uncaught-exception handler (captured here instead of printed).
        val uncaught = java.util.concurrent.LinkedBlockingQueue<Throwable>()
        val saved = Thread.getDefaultUncaughtExceptionHandler()
        Thread.setDefaultUncaughtExceptionHandler { _, e -> uncaught.put(e) }
        try {
            assertThrows<TimeoutCancellationException> {
                runBlocking { withTimeout(1500) { client.rotateWebhookKey(sim.accountId, plain) } }
            }
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(saved)
        }
        assertEquals("escapes UniFFI", (uncaught.poll() as? AssertionError)?.message)
    }

    @Test
    fun apiErrorsKeepTheirCodes(): Unit = runBlocking {
        val client = sim.client()
        val missing = assertThrows<KompliantException.EntityNotFound> {
            runBlocking { client.getWebhookKey("whk_19700101_01") }
        }
        assertEquals("webhook.key.get", missing.api?.method)
        assertEquals("ENTITY_NOT_FOUND", missing.api?.serverCode)

        val wrongToken = KompliantClient(sim.apiKey, sim.secretKey, "not-the-token", ClientOptions(baseUrl = sim.baseUrl))
        val unauthorized = assertThrows<KompliantException.Unauthorized> { runBlocking { wrongToken.checkVersion() } }
        assertEquals(401.toUShort(), unauthorized.api?.httpStatus)
        assertFalse(unauthorized.toString().contains(sim.secretKey))

        val closed = java.net.ServerSocket(0).use { it.localPort }
        val nowhere = sim.client(ClientOptions(baseUrl = "http://127.0.0.1:$closed", maxRetries = 0u))
        assertEquals("CONNECTION_FAILED", assertThrows<KompliantException.ConnectionFailed> {
            runBlocking { nowhere.checkVersion() }
        }.code)

        assertThrows<KompliantException.InvalidConfiguration> {
            runBlocking { client.call("sim.event.trigger", "{not json", RetryPolicy.SAFE) }
        }
        assertThrows<KompliantException.InvalidConfiguration> {
            runBlocking { client.call("bad method!", "{}", RetryPolicy.SAFE) }
        }
    }
}
