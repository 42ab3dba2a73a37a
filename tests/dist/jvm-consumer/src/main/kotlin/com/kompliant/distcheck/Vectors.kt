// The JVM install test: every conformance vector through the published artifact, as an
// application would call it (the same checks as bindings/uniffi/kotlin's VectorsTest).
// Usage: Vectors <webhooks.json>. Prints one line per failed case and "vectors: P/N passed";
// exits 1 unless every case passed.
package com.kompliant.distcheck

import com.kompliant.webhooks.KompliantException
import com.kompliant.webhooks.Keyring
import com.kompliant.webhooks.ReceiverOptions
import com.kompliant.webhooks.Webhook
import com.kompliant.webhooks.WebhookMetadata
import com.kompliant.webhooks.WebhookReceiver
import com.kompliant.webhooks.WireProfile
import java.io.File
import java.time.Duration
import java.time.Instant
import java.util.Base64
import kotlin.system.exitProcess
import org.json.JSONObject

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

/** Null when the case behaves as the file says, else what differed. */
private fun problemOf(case: JSONObject): String? {
    val expect = case.getJSONObject("expect")
    val outcome = runCatching { open(case) }
    val wantError = expect.optString("error").ifEmpty { null }
    if (wantError != null) {
        val e = outcome.exceptionOrNull() ?: return "expected $wantError, but it decrypted"
        if (e !is KompliantException) return "expected $wantError, got ${e.javaClass.name}: $e"
        return if (e.code() == wantError) null else "expected $wantError, got ${e.code()}"
    }
    val webhook = outcome.getOrElse { return "expected success, got $it" }
    webhook.let {
        val m = expect.getJSONObject("metadata")
        val want = WebhookMetadata(m.getString("id"), m.getString("event_type"), m.getString("timestamp"),
                                   m.getString("account_id"), m.getString("schema_version"), m.getString("key_id"))
        if (it.metadata() != want) return "metadata ${it.metadata()} != $want"
        if (it.retryCount() != expect.getLong("retry_count").toULong()) return "retry count ${it.retryCount()}"
        val payload = Base64.getDecoder().decode(expect.getString("payload_b64"))
        if (!it.payloadBytes().contentEquals(payload)) return "payload bytes differ"
        if (!it.payloadJson().toByteArray(Charsets.UTF_8).contentEquals(payload)) return "payload JSON text differs"
    }
    return null
}

fun main(args: Array<String>) {
    require(args.size == 1) { "usage: Vectors <webhooks.json>" }
    // The point of this test: the native comes out of the jar, not from a path we hand JNA.
    check(System.getProperty("jna.library.path") == null) { "jna.library.path is set; this test must run without it" }
    val cases = JSONObject(File(args[0]).readText()).getJSONArray("cases")
    var passed = 0
    for (i in 0 until cases.length()) {
        val case = cases.getJSONObject(i)
        val problem = try { problemOf(case) } catch (e: Throwable) { "threw $e" }
        if (problem == null) passed++ else println("FAIL ${case.getString("name")}: $problem")
    }
    println("vectors: $passed/${cases.length()} passed")
    exitProcess(if (passed == cases.length()) 0 else 1)
}
