package com.kompliant.webhooks

import java.io.File
import java.net.InetSocketAddress
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import com.sun.net.httpserver.HttpServer

/** Paths the Maven build passes in (see pom.xml), failing loudly when one is missing. */
object TestPaths {
    fun property(name: String): String =
        System.getProperty(name) ?: error("system property $name is not set (run through Maven: see pom.xml)")

    val vectors: File get() = File(property("kompliant.vectors")).also { require(it.isFile) { "no vectors at $it" } }
    val kompliant: File get() = File(property("kompliant.bin")).also { require(it.canExecute()) { "no kompliant binary at $it" } }
}

/** A `kompliant sim` process on a free loopback port, with the credentials it wrote. */
class Simulator private constructor(private val process: Process, val env: Map<String, String>) : AutoCloseable {
    val baseUrl: String get() = env.getValue("KOMPLIANT_BASE_URL")
    val accountId: String get() = env.getValue("KOMPLIANT_ACCOUNT_ID")
    val apiKey: String get() = env.getValue("KOMPLIANT_API_KEY")
    val secretKey: String get() = env.getValue("KOMPLIANT_SECRET_KEY")
    val authToken: String get() = env.getValue("KOMPLIANT_AUTH_TOKEN")

    fun client(options: ClientOptions = ClientOptions(baseUrl = baseUrl)): KompliantClient =
        KompliantClient(apiKey, secretKey, authToken, options)

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
    }

    companion object {
        fun start(): Simulator {
            val dir = Files.createTempDirectory("kompliant-sim").toFile()
            val envFile = File(dir, "sim.env")
            val process = ProcessBuilder(
                TestPaths.kompliant.path, "sim", "--listen", "127.0.0.1:0", "--retry-base-ms", "20",
                "--env-file", envFile.path, "--quiet",
            ).redirectErrorStream(true).start()
            val first = process.inputStream.bufferedReader().readLine()
            check(first != null && first.startsWith("listening on http://")) { "kompliant sim did not start: $first" }
            // Keep draining its output so it never blocks on a full pipe.
            Thread { process.inputStream.copyTo(java.io.OutputStream.nullOutputStream()) }.apply { isDaemon = true }.start()
            val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10)
            while (!(envFile.isFile && envFile.readText().contains("KOMPLIANT_AUTH_TOKEN="))) {
                check(System.nanoTime() < deadline) { "kompliant sim wrote no env file" }
                Thread.sleep(20)
            }
            val env = envFile.readLines().filter { '=' in it }.associate { it.substringBefore('=') to it.substringAfter('=') }
            return Simulator(process, env)
        }
    }
}

/** A JDK HttpServer receiving webhooks on loopback with [receiver], as an application would. */
class TestReceiver(private val receiver: WebhookReceiver) : AutoCloseable {
    val received = java.util.concurrent.LinkedBlockingQueue<Webhook>()
    val refused = java.util.concurrent.LinkedBlockingQueue<KompliantException>()
    private val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0).apply {
        createContext("/webhooks") { exchange ->
            val body = exchange.requestBody.readAllBytes()
            val status = try {
                received.put(receiver.decrypt(body))
                200
            } catch (e: KompliantException) {
                refused.put(e)
                e.httpStatus().toInt()
            }
            exchange.sendResponseHeaders(status, -1)
            exchange.close()
        }
        start()
    }
    val url: String get() = "http://127.0.0.1:${server.address.port}/webhooks"

    /** The next decrypted webhook, waiting up to 10 s. */
    fun next(): Webhook = received.poll(10, TimeUnit.SECONDS) ?: error("no webhook received within 10 s")

    override fun close() = server.stop(0)
}

/**
 * The forms in which a secret's bytes could reach a log line: the raw bytes read as latin-1
 * text, standard base64 (padded and not), URL-safe base64 (padded and not), and hex in lower
 * and upper case. Every secret check of the suite goes through here (see [assertNoSecretIn]).
 */
object SecretForms {
    /** Each form of [secret], by name. */
    fun of(secret: ByteArray): Map<String, String> {
        val hex = secret.joinToString("") { "%02x".format(it) }
        return linkedMapOf(
            "raw bytes as latin-1" to String(secret, Charsets.ISO_8859_1),
            "standard base64" to java.util.Base64.getEncoder().encodeToString(secret),
            "standard base64 without padding" to java.util.Base64.getEncoder().withoutPadding().encodeToString(secret),
            "URL-safe base64" to java.util.Base64.getUrlEncoder().encodeToString(secret),
            "URL-safe base64 without padding" to java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(secret),
            "hex (lower case)" to hex,
            "hex (upper case)" to hex.uppercase(),
        )
    }

    /** The names of the forms of [secret] that [text] contains. */
    fun foundIn(text: String, secret: ByteArray): List<String> = of(secret).filterValues { text.contains(it) }.keys.toList()
}

/**
 * A 32-byte test secret that cannot turn up in a text by chance: printable ASCII (so its
 * latin-1 form is text a log line could really hold), starting `kw>zq?` so that its standard
 * base64 holds both `+` and `/` and differs from the URL-safe one, then [label].
 */
fun distinctiveSecret(label: String): ByteArray {
    val text = ("kw>zq?$label-" + "#".repeat(32)).take(32)
    return text.toByteArray(Charsets.US_ASCII).also { require(it.size == 32) }
}

/** Fails unless no text of [renderings] (what → text) holds any form of any of [secrets] (name → bytes). */
fun assertNoSecretIn(renderings: Map<String, String>, secrets: Map<String, ByteArray>) {
    val leaks = renderings.flatMap { (what, text) ->
        secrets.flatMap { (name, bytes) -> SecretForms.foundIn(text, bytes).map { "$name ($it) in $what: $text" } }
    }
    org.junit.jupiter.api.Assertions.assertTrue(leaks.isEmpty()) { "secrets leaked:\n" + leaks.joinToString("\n") }
}

/**
 * Every text a program can make of [value] without asking for a secret on purpose: `toString()`,
 * a string template, `String.valueOf`, `%s`, inside a list and a map, `StringBuilder.append`;
 * for a `Throwable` its `message`, `localizedMessage` and stack trace; for a
 * [KompliantException] its fields and methods; for a data class (record) each component's
 * renderings, recursively.
 */
fun renderings(value: Any?): Map<String, String> {
    val out = linkedMapOf(
        "toString()" to value.toString(),
        "string template" to "$value",
        "String.valueOf" to java.lang.String.valueOf(value),
        "format(%s)" to "%s".format(value),
        "in a list" to listOf(value).toString(),
        "in a map" to mapOf("value" to value).toString(),
        "StringBuilder.append" to StringBuilder().append(value).toString(),
    )
    if (value is Throwable) {
        out["message"] = value.message.toString()
        out["localizedMessage"] = value.localizedMessage.toString()
        out["stackTraceToString()"] = value.stackTraceToString()
        out["printStackTrace"] = java.io.StringWriter().also { value.printStackTrace(java.io.PrintWriter(it)) }.toString()
    }
    if (value is KompliantException) {
        out["code()"] = value.code()
        out["detail()"] = value.detail()
        out["publicMessage()"] = value.publicMessage()
        value.api()?.let { api -> renderings(api).forEach { (what, text) -> out["api() $what"] = text } }
    }
    // Data classes (UniFFI records): what destructuring hands out.
    value?.javaClass?.methods
        ?.filter { it.parameterCount == 0 && it.name.matches(Regex("component\\d+")) }
        ?.sortedBy { it.name.removePrefix("component").toInt() }
        ?.forEach { m -> renderings(m.invoke(value)).forEach { (what, text) -> out["${m.name}() $what"] = text } }
    return out
}

/**
 * The stable code a [KompliantException] variant stands for (`InvalidKey` → `INVALID_KEY`;
 * Kotlin renames `…Error` variants to `…Exception`: `IoException` → `IO_ERROR`).
 */
fun variantCode(e: KompliantException): String =
    e.javaClass.simpleName.replace(Regex("([a-z])([A-Z])"), "$1_$2").uppercase().replace(Regex("_EXCEPTION$"), "_ERROR")

/** The HTTP status docs/errors.md gives each code for a webhook receiver's answer. */
fun documentedStatus(code: String): Int = when (code) {
    "UNKNOWN_KEY" -> 503
    "BODY_TOO_LARGE" -> 413
    "MALFORMED_ENVELOPE", "DECRYPTION_FAILED", "PAYLOAD_NOT_JSON", "TIMESTAMP_OUT_OF_RANGE", "PAYLOAD_SCHEMA_MISMATCH" -> 400
    else -> 500
}

/**
 * Runs [call], which must fail with a [KompliantException] whose code is one of [codes], and
 * returns it. Anything else (a result, UniFFI's `InternalException` for a Rust panic, a JNA or
 * JVM error) fails the test, quoting [input] (what was passed in) as hex.
 */
fun expectTypedError(codes: Set<String>, input: ByteArray? = null, call: () -> Any?): KompliantException {
    val what = input?.let { " for input ${it.joinToString("") { b -> "%02x".format(b) }.take(400)}" } ?: ""
    var result: Any? = null
    val thrown = try {
        result = call()
        null
    } catch (t: Throwable) {
        t
    }
    val e = when (thrown) {
        null -> throw AssertionError("expected one of $codes, got a result$what: $result")
        is KompliantException -> thrown
        else -> throw AssertionError("expected a KompliantException, got ${thrown.javaClass.name}$what", thrown)
    }
    checkTypedError(e, codes, what)
    return e
}

/** The consistency of a typed error: a known code, the variant of that code, its documented status. */
fun checkTypedError(e: KompliantException, codes: Set<String>, what: String = "") {
    org.junit.jupiter.api.Assertions.assertTrue(e.code() in codes) { "code ${e.code()} not in $codes$what: $e" }
    org.junit.jupiter.api.Assertions.assertEquals(e.code(), variantCode(e)) { "variant ${e.javaClass.simpleName} carries ${e.code()}" }
    org.junit.jupiter.api.Assertions.assertEquals(documentedStatus(e.code()), e.httpStatus().toInt()) { "status of $e" }
    org.junit.jupiter.api.Assertions.assertTrue(e.toString().startsWith(e.code()) || e.api() != null) { "log line of $e" }
    org.junit.jupiter.api.Assertions.assertTrue(e.publicMessage().isNotBlank())
}

/** Sets and unsets environment variables of the process itself (the Rust core reads them through libc; the JVM cannot change them). */
object ProcessEnv {
    private interface CLib : com.sun.jna.Library {
        fun setenv(name: String, value: String, overwrite: Int): Int
        fun unsetenv(name: String): Int
        fun getenv(name: String): String?
    }

    private val libc: CLib = com.sun.jna.Native.load("c", CLib::class.java)

    /**
     * Runs [body] with [vars] set (a null value unsets the variable) and every other variable
     * starting with one of [clearPrefixes] unset, then restores what was there before.
     */
    fun <T> withVars(vars: Map<String, String?>, clearPrefixes: List<String> = emptyList(), body: () -> T): T {
        val cleared = System.getenv().keys.filter { name -> clearPrefixes.any { name.startsWith(it) } && name !in vars }
        val names = vars.keys + cleared
        val saved = names.associateWith { libc.getenv(it) }
        for (name in names) vars[name]?.let { libc.setenv(name, it, 1) } ?: libc.unsetenv(name)
        try {
            return body()
        } finally {
            for ((name, value) in saved) value?.let { libc.setenv(name, it, 1) } ?: libc.unsetenv(name)
        }
    }
}
