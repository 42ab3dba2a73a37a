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
