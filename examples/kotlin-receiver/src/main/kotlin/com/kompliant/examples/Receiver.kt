// A Kompliant webhook receiver on the JDK's built-in HttpServer.
//
//   java -Djna.library.path=<dir of libkompliant_webhooks_uniffi.so> -cp ... com.kompliant.examples.ReceiverKt [--demo]
//
// Keys come from the keyring file KOMPLIANT_KEYRING_FILE (default keys.json), WATCHED: when
// another process rotates the webhook key (`kompliant keys rotate --keyring keys.json`, or a
// rotation whose store is addToKeyringFile), the next webhook is decrypted with the new key,
// with no restart. Without that file, keys come from KOMPLIANT_WEBHOOK_SECRET_<YYYYMMDD>_<NN>
// variables (fixed until a restart). It listens on 127.0.0.1:PORT (default 8080; 0 picks a
// free port) at /webhooks and prints one line per webhook: `webhook <id> key=<key id> ...`, or
// `refused <ERROR_CODE>`.
//
// With --demo and the KOMPLIANT_* variables of `kompliant sim --env-file`, it also drives the
// simulator: creates the first webhook key (stored in the keyring file), registers its own URL,
// triggers one event of each type, rotates the key (stored in the file only: the watched
// keyring picks it up), triggers once more, and exits 0 once every webhook arrived decrypted.
package com.kompliant.examples

import com.kompliant.webhooks.Event
import com.kompliant.webhooks.KompliantClient
import com.kompliant.webhooks.KompliantException
import com.kompliant.webhooks.Keyring
import com.kompliant.webhooks.RetryPolicy
import com.kompliant.webhooks.Webhook
import com.kompliant.webhooks.WebhookKeyStore
import com.kompliant.webhooks.WebhookReceiver
import com.kompliant.webhooks.addToKeyringFile
import com.kompliant.webhooks.safe
import com.kompliant.webhooks.watch
import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import java.io.File
import java.net.InetSocketAddress
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.Executors
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking

private const val MAX_BODY_BYTES = 8 * 1024 * 1024

fun main(args: Array<String>) {
    val keysFile = File(System.getenv("KOMPLIANT_KEYRING_FILE") ?: "keys.json")
    val demo = if ("--demo" in args) Demo(keysFile) else null
    // The demo starts from no key at all: it creates the first one, into the file.
    demo?.createFirstKey()

    // Follows the file: a key another process adds is used without a restart; reloads and
    // problems are logged through java.util.logging (logger "kompliant_webhooks").
    val keyring = if (keysFile.exists()) Keyring.watch(keysFile.path) else Keyring.fromEnv()
    val receiver = WebhookReceiver(keyring)
    val delivered = LinkedBlockingQueue<Webhook>()
    val seen = ConcurrentHashMap.newKeySet<String>()

    val server = HttpServer.create(InetSocketAddress("127.0.0.1", System.getenv("PORT")?.toInt() ?: 8080), 0)
    server.createContext("/webhooks") { exchange ->
        exchange.use {
            if (exchange.requestMethod != "POST") return@use exchange.answer(405, "POST only")
            // The body bytes exactly as received: an altered, truncated or re-encoded body fails.
            val body = exchange.requestBody.readNBytes(MAX_BODY_BYTES + 1)
            try {
                val webhook = receiver.decrypt(body)
                // Delivery is at-least-once: deduplicate on the webhook id.
                if (seen.add(webhook.id())) {
                    println("webhook ${webhook.id()} key=${webhook.keyId()} ${webhook.eventType()} retry=${webhook.retryCount()} ${describe(webhook)}")
                    delivered.put(webhook)
                }
                exchange.answer(200, "ok")
            } catch (e: KompliantException) {
                // The log line names the failed check (never secrets); the sender gets only the class.
                println("refused ${e.code()}")
                System.err.println("refused: $e")
                exchange.answer(e.httpStatus().toInt(), e.publicMessage())
            }
        }
    }
    server.executor = Executors.newFixedThreadPool(4)
    server.start()
    println("listening on http://127.0.0.1:${server.address.port}")

    if (demo != null) {
        val ok = demo.run("http://127.0.0.1:${server.address.port}/webhooks", delivered)
        server.stop(0)
        exitProcess(if (ok) 0 else 1)
    }
}

private fun describe(webhook: Webhook): String =
    try {
        when (val event = webhook.event()) {
            is Event.Workflow -> "workflow=${event.workflow.workflowId} type=${event.workflow.workflowType}"
            is Event.SubjectRecordDataUpdated -> "subject_record=${event.update.subjectRecordId} persons=${event.update.entities.persons.size}"
            is Event.Other -> "payload=${webhook.payloadJson().length} bytes"
        }
    } catch (e: KompliantException.PayloadSchemaMismatch) {
        "payload does not match its schema: ${e.detail}"
    }

private fun HttpExchange.answer(status: Int, text: String) {
    val bytes = text.toByteArray()
    sendResponseHeaders(status, bytes.size.toLong())
    responseBody.write(bytes)
}

/** The --demo run against `kompliant sim`. */
private class Demo(keysFile: File) {
    private val client = KompliantClient.fromEnv()
    private val account = System.getenv("KOMPLIANT_ACCOUNT_ID") ?: error("KOMPLIANT_ACCOUNT_ID is not set")

    // The store step of a rotation: the keyring file every receiver watches (in production
    // the rotation usually runs in another process, e.g. a scheduled job; the file is safe to
    // share). `safe` turns any Throwable (kotlin.Error included) into STORE_FAILED instead of a hang.
    private val store = WebhookKeyStore.safe { keyId, secretBase64 -> addToKeyringFile(keysFile.path, keyId, secretBase64) }

    fun createFirstKey() = runBlocking {
        val first = client.rotateWebhookKey(account, store)
        println("rotated: ${first.newKeyId} active")
    }

    fun run(url: String, delivered: LinkedBlockingQueue<Webhook>): Boolean = runBlocking {
        client.createWebhookConfig(account, url)
        val types = listOf("WORKFLOW_CREATED", "WORKFLOW_STARTED", "SUBJECT_RECORD_DATA_UPDATED", "DOCUMENT_UPLOADED")
        for (type in types) client.call("sim.event.trigger", """{"event_type":"$type"}""", RetryPolicy.ONLY_IF_NOT_SENT)
        val second = client.rotateWebhookKey(account, store)
        println("rotated: ${second.newKeyId} active, ${second.previousKeyId} deleted")
        client.call("sim.event.trigger", """{"event_type":"WORKFLOW_COMPLETED"}""", RetryPolicy.ONLY_IF_NOT_SENT)

        val got = mutableListOf<Webhook>()
        while (got.size < types.size + 1) {
            got += delivered.poll(15, TimeUnit.SECONDS) ?: break
        }
        val withNewKey = got.count { it.keyId() == second.newKeyId }
        val ok = got.size == types.size + 1 && withNewKey >= 1
        println("kotlin-receiver: ${if (ok) "PASS" else "FAIL"} - ${got.size}/${types.size + 1} webhooks decrypted, $withNewKey with the rotated key ${second.newKeyId}")
        ok
    }
}
