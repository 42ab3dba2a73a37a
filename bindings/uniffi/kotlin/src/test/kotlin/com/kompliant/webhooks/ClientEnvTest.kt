package com.kompliant.webhooks

import com.sun.jna.Library
import com.sun.jna.Native
import com.sun.net.httpserver.HttpServer
import java.net.InetSocketAddress
import java.util.concurrent.CopyOnWriteArrayList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The C library's environment functions: the Rust core reads the process environment, which the JVM cannot change. */
private interface LibC : Library {
    fun setenv(name: String, value: String, overwrite: Int): Int
    fun unsetenv(name: String): Int
}

/** A fake Kompliant API on loopback: records each request's path and User-Agent, answers [status] with [body]. */
private class FakeApi : AutoCloseable {
    data class Request(val path: String, val userAgent: String?)

    val requests = CopyOnWriteArrayList<Request>()
    @Volatile var status = 200
    @Volatile var body = """{"meta":{"status":"SUCCESS","trace_id":"trc_1","version":"2025-03-24"},"data":{"current_version":"2025-03-24","latest_version":"2025-03-24"}}"""
    private val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0).apply {
        createContext("/") { exchange ->
            exchange.requestBody.readAllBytes()
            requests += Request(exchange.requestURI.path, exchange.requestHeaders.getFirst("User-Agent"))
            val bytes = body.toByteArray()
            exchange.responseHeaders.add("Content-Type", "application/json")
            exchange.sendResponseHeaders(status, bytes.size.toLong())
            exchange.responseBody.use { it.write(bytes) }
        }
        start()
    }
    val url: String get() = "http://127.0.0.1:${server.address.port}"

    override fun close() = server.stop(0)
}

/** `KompliantClient.fromEnv(options?)`: credentials from the environment, the binding's user agent, the options honoured. */
class ClientEnvTest {
    private val libc: LibC = Native.load("c", LibC::class.java)
    private val names = listOf("KOMPLIANT_API_KEY", "KOMPLIANT_SECRET_KEY", "KOMPLIANT_AUTH_TOKEN", "KOMPLIANT_BASE_URL")

    /** Runs [body] with exactly [vars] of [names] set, then restores the JVM's starting values. */
    private fun <T> withEnv(vars: Map<String, String>, body: () -> T): T {
        for (name in names) vars[name]?.let { libc.setenv(name, it, 1) } ?: libc.unsetenv(name)
        try {
            return body()
        } finally {
            for (name in names) System.getenv(name)?.let { libc.setenv(name, it, 1) } ?: libc.unsetenv(name)
        }
    }

    @Test
    fun fromEnvSendsTheBindingsUserAgentAndHonoursTheOptions(): Unit = FakeApi().use { api ->
        val env = mapOf(
            "KOMPLIANT_API_KEY" to "key-1", "KOMPLIANT_SECRET_KEY" to "c2VjcmV0LWtleQ==",
            "KOMPLIANT_AUTH_TOKEN" to "token-1", "KOMPLIANT_BASE_URL" to api.url,
        )
        val (plain, custom) = withEnv(env) {
            KompliantClient.fromEnv() to
                KompliantClient.fromEnv(ClientOptions(baseUrl = "https://ignored.example", userAgent = "acme-app/2.0", maxRetries = 0u))
        }
        assertEquals(api.url, plain.baseUrl())
        assertEquals("key-1", plain.apiKey())
        assertEquals("2025-03-24", runBlocking { plain.checkVersion() }.latestVersion)
        val first = api.requests.single()
        assertEquals("/meta.checkVersion", first.path)
        assertTrue(first.userAgent?.startsWith("kompliant-webhooks-uniffi/") == true, first.userAgent)

        // KOMPLIANT_BASE_URL wins over options.baseUrl; every other option is honoured.
        api.requests.clear()
        api.status = 503
        api.body = "upstream unavailable"
        assertEquals(api.url, custom.baseUrl())
        assertThrows<KompliantException.ServerException> { runBlocking { custom.checkVersion() } }
        assertEquals(listOf(FakeApi.Request("/meta.checkVersion", "acme-app/2.0")), api.requests.toList())
    }

    @Test
    fun fromEnvNamesEachMissingVariable() {
        val e = withEnv(mapOf("KOMPLIANT_API_KEY" to "key-1")) {
            assertThrows<KompliantException.InvalidConfiguration> { KompliantClient.fromEnv() }
        }
        assertTrue(e.detail.contains("KOMPLIANT_SECRET_KEY") && e.detail.contains("KOMPLIANT_AUTH_TOKEN"), e.detail)
        val bad = withEnv(mapOf("KOMPLIANT_API_KEY" to "k", "KOMPLIANT_SECRET_KEY" to "c2VjcmV0", "KOMPLIANT_AUTH_TOKEN" to "t")) {
            assertThrows<KompliantException.InvalidConfiguration> { KompliantClient.fromEnv(ClientOptions(userAgent = "")) }
        }
        assertTrue(bad.detail.contains("user_agent"), bad.detail)
    }
}
