// The Kotlin row of scripts/bench: per-call cost of the SDK's WebhookReceiver.decrypt and of
// a hand-written receiver (Jackson + java.util.Base64 + javax.crypto AES/GCM/NoPadding), in
// one JVM, interleaved round by round, over the fixtures of tests/bench/fixtures.py.
//
//   java -cp ... com.kompliant.bench.BenchKt --fixtures DIR --json OUT [--quick]
//   java -Xms256m -Xmx256m -cp ... com.kompliant.bench.BenchKt --fixtures DIR --soak N --json OUT
//
// --soak (scripts/bench runs it in a second JVM, heap fixed so that resident memory tracks
// what is kept outside it): N decrypts of the 1 KiB fixture, payload text and Map, with the
// process's resident memory after a warm-up and at the end, added to OUT as "leak". It must
// stay flat: nothing kept per decrypt, on either side of the FFI.
//
// Two comparisons per size: up to the payload text ("decrypt": the SDK returns the checked
// payload text; the hand-written receiver returns the plaintext as a String), and up to a
// parsed payload Map (both parse the text with the same Jackson ObjectMapper). Target: the SDK
// at least as fast as the hand-written receiver (ratio ≥ 1.0) at every size, in both.
package com.kompliant.bench

import com.fasterxml.jackson.databind.ObjectMapper
import com.kompliant.webhooks.Keyring
import com.kompliant.webhooks.WebhookReceiver
import java.io.File
import java.util.Base64
import javax.crypto.Cipher
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec

private val SIZES = listOf("1k", "16k", "256k", "4m")
private val FIELDS = listOf("id", "event_type", "timestamp", "account_id", "schema_version", "key_id")
private val MAPPER = ObjectMapper()

/** The hand-written receiver a competent JVM engineer writes: one cached key spec. */
class HandWritten(secret: ByteArray) {
    private val key = SecretKeySpec(secret, "AES")

    fun plaintext(body: ByteArray): String {
        val env = MAPPER.readTree(body)
        val raw = Base64.getDecoder().decode(env.get("data").asText())
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, raw, 0, 12))
        cipher.updateAAD(FIELDS.joinToString("|") { env.get(it).asText() }.toByteArray())
        return String(cipher.doFinal(raw, 12, raw.size - 12), Charsets.UTF_8)
    }
}

/** The process's resident memory in KiB (Linux: VmRSS of /proc/self/status). */
private fun rssKiB(): Long =
    File("/proc/self/status").readLines().first { it.startsWith("VmRSS:") }.split(Regex("\\s+"))[1].toLong()

private fun soak(sdk: WebhookReceiver, dir: File, n: Int): Map<String, Any> {
    val body = File(dir, "1k.body.json").readBytes()
    fun run(count: Int) = repeat(count) { MAPPER.readValue(sdk.decrypt(body).payloadJson(), Map::class.java) }
    run(minOf(n, 200_000)) // warm-up: JIT, every page of the (fixed) heap touched
    System.gc()
    val before = rssKiB()
    val t0 = System.nanoTime()
    run(n)
    val seconds = (System.nanoTime() - t0) / 1e9
    System.gc()
    val after = rssKiB()
    println(String.format("memory: %,d decrypts (1 KiB, text and Map) in %.1f s; RSS %.1f MB after warm-up, %.1f MB at the end (%+.1f)",
        n, seconds, before / 1024.0, after / 1024.0, (after - before) / 1024.0))
    return mapOf("iterations" to n, "rss_mb_after_warmup" to before / 1024.0, "rss_mb_end" to after / 1024.0,
        "growth_mb" to (after - before) / 1024.0)
}

private fun median(xs: List<Double>) = xs.sorted()[xs.size / 2]
private fun pct(xs: List<Double>, p: Double) = xs.sorted()[((xs.size - 1) * p).toInt()]

fun main(args: Array<String>) {
    val opts = args.toList().windowed(2, 1).associate { it[0] to it[1] }
    val dir = File(opts["--fixtures"] ?: error("--fixtures DIR"))
    val out = opts["--json"]?.let(::File)
    val quick = "--quick" in args
    val key = MAPPER.readTree(File(dir, "key.json"))
    val keyring = Keyring()
    keyring.add(key.get("key_id").asText(), key.get("secret").asText())
    val sdk = WebhookReceiver(keyring, null)
    val hand = HandWritten(Base64.getDecoder().decode(key.get("secret").asText()))
    opts["--soak"]?.let { n ->
        val leak = soak(sdk, dir, n.toInt())
        if (out != null) {
            @Suppress("UNCHECKED_CAST")
            val json = (if (out.exists()) MAPPER.readValue(out, LinkedHashMap::class.java) else linkedMapOf<String, Any>()) as MutableMap<String, Any>
            json["leak"] = leak
            out.writeText(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json))
        }
        return
    }

    val impls: Map<String, (ByteArray) -> Any> = linkedMapOf(
        "sdk" to { b -> sdk.decrypt(b).payloadJson() },
        "handwritten" to { b -> hand.plaintext(b) },
        "sdk+jackson" to { b -> MAPPER.readValue(sdk.decrypt(b).payloadJson(), Map::class.java) },
        "handwritten+jackson" to { b -> MAPPER.readValue(hand.plaintext(b), Map::class.java) },
    )
    val results = linkedMapOf<String, MutableMap<String, List<Double>>>()
    for (size in SIZES) {
        val body = File(dir, "$size.body.json").readBytes()
        val payload = File(dir, "$size.payload.json").readText()
        check(sdk.decrypt(body).payloadJson() == payload) { "SDK payload differs at $size" }
        check(hand.plaintext(body) == payload) { "hand-written payload differs at $size" }
        // JIT warm-up: each implementation for a while before anything is measured.
        for (f in impls.values) {
            val until = System.nanoTime() + (if (quick) 200_000_000L else 1_000_000_000L)
            while (System.nanoTime() < until) f(body)
        }
        // Calls per batch: about 3 ms of work; rounds: enough for a stable median.
        val probe = System.nanoTime(); repeat(5) { impls.getValue("handwritten+jackson")(body) }
        val perCall = (System.nanoTime() - probe) / 5.0
        val batch = maxOf(1, (3e6 / perCall).toInt())
        val rounds = if (quick) 10 else if (size == "4m") 20 else 40
        val warm = if (quick) 2 else 5
        System.err.println("kotlin: $size: $rounds rounds of $batch calls (+$warm warm-up)")
        val samples = impls.keys.associateWith { mutableListOf<Double>() }
        for (round in 0 until warm + rounds) {
            val order = impls.keys.toList().let { if (round % 2 == 0) it else it.reversed() }
            for (name in order) {
                val f = impls.getValue(name)
                val t0 = System.nanoTime()
                repeat(batch) { f(body) }
                val us = (System.nanoTime() - t0) / 1e3 / batch
                if (round >= warm) samples.getValue(name).add(us)
            }
        }
        results[size] = samples.toMutableMap()
    }

    println("Kotlin (JVM ${System.getProperty("java.version")}): median µs per call (p10-p90)")
    println(String.format("%-6s %-24s %-24s %-7s %-24s %-24s %-7s", "size", "sdk", "handwritten", "ratio", "sdk+jackson", "handwritten+jackson", "ratio"))
    for (size in SIZES) {
        val s = results.getValue(size)
        fun cell(n: String) = String.format("%.1f (%.1f-%.1f)", median(s.getValue(n)), pct(s.getValue(n), 0.1), pct(s.getValue(n), 0.9))
        fun ratio(a: String, b: String) = String.format("%.2fx", median(s.getValue(a)) / median(s.getValue(b)))
        println(String.format("%-6s %-24s %-24s %-7s %-24s %-24s %-7s", size, cell("sdk"), cell("handwritten"), ratio("handwritten", "sdk"),
            cell("sdk+jackson"), cell("handwritten+jackson"), ratio("handwritten+jackson", "sdk+jackson")))
    }
    if (out != null) {
        fun stat(f: (List<Double>) -> Double) = impls.keys.associateWith { n -> SIZES.associateWith { f(results.getValue(it).getValue(n)) } }
        val json = linkedMapOf(
            "language" to "Kotlin (JVM ${System.getProperty("java.version")})",
            "implementations" to mapOf(
                "sdk" to "WebhookReceiver.decrypt(body).payloadJson()",
                "handwritten" to "Jackson readTree + Base64 + javax.crypto AES/GCM/NoPadding, plaintext as String",
                "sdk+jackson" to "the SDK, then Jackson readValue(payload, Map)",
                "handwritten+jackson" to "the hand-written receiver, then Jackson readValue(plaintext, Map)",
            ),
            "sizes" to SIZES,
            "median_us" to stat(::median),
            "p10_us" to stat { pct(it, 0.1) },
            "p90_us" to stat { pct(it, 0.9) },
            "ratios" to mapOf(
                "handwritten/sdk" to SIZES.associateWith { median(results.getValue(it).getValue("handwritten")) / median(results.getValue(it).getValue("sdk")) },
                "handwritten+jackson/sdk+jackson" to SIZES.associateWith { median(results.getValue(it).getValue("handwritten+jackson")) / median(results.getValue(it).getValue("sdk+jackson")) },
            ),
            "targets" to mapOf(
                "handwritten/sdk" to SIZES.associateWith { 1.0 },
                "handwritten+jackson/sdk+jackson" to SIZES.associateWith { 1.0 },
            ),
        )
        out.writeText(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json))
    }
}
