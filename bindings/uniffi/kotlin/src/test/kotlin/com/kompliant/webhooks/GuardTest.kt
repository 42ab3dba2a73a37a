package com.kompliant.webhooks

import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * A guard written in Kotlin, as a user would over their store: an in-memory map of
 * id -> (holder token or DONE, expiry), fenced by token. Records which threads called renew.
 */
class MapGuard : WebhookGuard {
    private class Entry(val holder: String?, val expiresAt: Long)
    private val entries = HashMap<String, Entry>()
    val renewThreads: MutableSet<String> = ConcurrentHashMap.newKeySet()
    val renewals = AtomicInteger()

    private fun live(id: String): Entry? = entries[id]?.takeIf { it.expiresAt > System.nanoTime() }
    private fun deadline(millis: ULong) = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis.toLong())

    @Synchronized
    override fun claim(webhookId: String, token: String, leaseMillis: ULong): String {
        val entry = live(webhookId)
        return when {
            entry == null -> { entries[webhookId] = Entry(token, deadline(leaseMillis)); "ACQUIRED" }
            entry.holder == null -> "ALREADY_COMPLETED"
            else -> "IN_PROGRESS"
        }
    }

    @Synchronized
    override fun renew(webhookId: String, token: String, leaseMillis: ULong): String {
        renewals.incrementAndGet()
        renewThreads.add(Thread.currentThread().name)
        if (live(webhookId)?.holder != token) return "LOST"
        entries[webhookId] = Entry(token, deadline(leaseMillis))
        return "HELD"
    }

    @Synchronized
    override fun complete(webhookId: String, token: String): String {
        val entry = live(webhookId)
        if (entry != null && entry.holder != token) return "LOST"
        entries[webhookId] = Entry(null, deadline(7uL * 86_400_000uL))
        return "HELD"
    }

    @Synchronized
    override fun release(webhookId: String, token: String): String {
        if (live(webhookId)?.holder != token) return "LOST"
        entries.remove(webhookId)
        return "HELD"
    }
}

/** A guard whose store fails: every method (or only [failing]) throws with a secret in its message. */
class ThrowingGuard(private val failing: Set<String> = setOf("claim", "renew", "complete", "release")) : WebhookGuard {
    private val inner = MemoryGuard()
    private fun fail(method: String) {
        if (method in failing) throw IllegalStateException("AUTH hunter2 refused by redis://admin:s3cret@10.0.0.7:6379")
    }
    override fun claim(webhookId: String, token: String, leaseMillis: ULong): String { fail("claim"); return inner.claim(webhookId, token, leaseMillis) }
    override fun renew(webhookId: String, token: String, leaseMillis: ULong): String { fail("renew"); return inner.renew(webhookId, token, leaseMillis) }
    override fun complete(webhookId: String, token: String): String { fail("complete"); return inner.complete(webhookId, token) }
    override fun release(webhookId: String, token: String): String { fail("release"); return inner.release(webhookId, token) }
}

/** The duplicate guard through the core's guarded flow: MemoryGuard, guards written in Kotlin, failures. */
class GuardTest {
    private val secret = WebhookSecret.generate()
    private val keyring = Keyring().apply { addSecret("whk_20251121_01", secret) }
    private val receiver = WebhookReceiver(keyring)

    private fun body(id: String, retryCount: ULong = 0uL): ByteArray {
        val metadata = WebhookMetadata(id, "WORKFLOW_CREATED", "2025-11-21T14:30:22Z", "sb_1", "2025-11-21", "whk_20251121_01")
        return sealWebhook(metadata, """{"version":"1.0"}""".toByteArray(), secret).body(retryCount)
    }

    /** What an application's handler does: process only if told to, then answer finish's outcome. */
    private fun deliver(guarded: GuardedReceiver, body: ByteArray, handled: AtomicInteger, ok: Boolean = true): Finished {
        val delivery = guarded.begin(body)
        if (delivery.shouldProcess()) handled.incrementAndGet()
        return delivery.finish(ok)
    }

    private fun assertNoSecret(text: String) {
        for (leak in listOf("hunter2", "s3cret", "10.0.0.7", "AUTH")) assertFalse(text.contains(leak), text)
    }

    @Test
    fun aDuplicateIsAnswered200WithoutProcessing() {
        val guarded = GuardedReceiver(receiver, MemoryGuard(), 60_000uL)
        val handled = AtomicInteger()
        val first = deliver(guarded, body("wh_dup"), handled)
        assertEquals(Triple("PROCESSED", 200.toUShort(), false), Triple(first.name, first.httpStatus, first.claimLost))
        assertNull(first.guardError)
        assertNull(first.renewalError)
        val again = guarded.begin(body("wh_dup", 1uL))
        assertFalse(again.shouldProcess())
        assertEquals("ALREADY_COMPLETED", again.claim())
        assertEquals(1uL, again.webhook().retryCount())
        val answer = again.finish(false) // ignored for a duplicate
        assertEquals("ALREADY_PROCESSED" to 200.toUShort(), answer.name to answer.httpStatus)
        assertEquals(1, handled.get())
    }

    @Test
    fun aFailureReleasesTheClaimSoTheRetryIsProcessed() {
        val guard = MemoryGuard()
        val guarded = GuardedReceiver(receiver, guard)
        val first = guarded.begin(body("wh_fail"))
        assertTrue(first.shouldProcess() && first.holdsClaim())
        val concurrent = guarded.begin(body("wh_fail"))
        assertEquals("IN_PROGRESS" to 503.toUShort(), concurrent.finish(true).let { it.name to it.httpStatus })
        val failed = first.finish(false)
        assertEquals("HANDLER_FAILED" to 500.toUShort(), failed.name to failed.httpStatus)
        assertFalse(first.holdsClaim())
        val retry = guarded.begin(body("wh_fail", 1uL))
        assertTrue(retry.shouldProcess())
        assertEquals("PROCESSED", retry.finish(true).name)
    }

    @Test
    fun concurrentDeliveriesOfOneWebhookRunTheHandlerOnce() {
        for (guard in listOf<WebhookGuard>(MemoryGuard(), MapGuard())) {
            val guarded = GuardedReceiver(receiver, guard, 30_000uL)
            val bodies = (0uL until 4uL).map { body("wh_race", it) }
            val handled = AtomicInteger()
            val barrier = CyclicBarrier(12)
            val pool = Executors.newFixedThreadPool(12)
            try {
                val answers = (0 until 12).map { n ->
                    pool.submit<Finished> {
                        barrier.await()
                        deliver(guarded, bodies[n % bodies.size], handled)
                    }
                }.map { it.get(30, TimeUnit.SECONDS) }
                assertEquals(1, handled.get(), answers.toString())
                assertEquals(1, answers.count { it.name == "PROCESSED" }, answers.toString())
                assertTrue(answers.all { it.httpStatus.toInt() == 200 || it.httpStatus.toInt() == 503 }, answers.toString())
            } finally {
                pool.shutdownNow()
            }
        }
    }

    @Test
    fun aKotlinGuardIsRenewedFromTheRenewalThreadWhileASlowHandlerRuns() {
        val guard = MapGuard()
        val guarded = GuardedReceiver(receiver, guard, 150uL)
        assertTrue(guarded.renews())
        val delivery = guarded.begin(body("wh_slow"))
        assertTrue(delivery.shouldProcess())
        Thread.sleep(600) // four leases: without renewal the claim would have lapsed
        val redelivery = guarded.begin(body("wh_slow", 1uL))
        assertEquals("IN_PROGRESS", redelivery.claim())
        assertTrue(delivery.holdsClaim())
        val done = delivery.finish(true)
        assertEquals("PROCESSED", done.name)
        assertFalse(done.claimLost)
        assertNull(done.renewalError)
        assertTrue(guard.renewals.get() >= 3, "renewals: ${guard.renewals.get()}")
        assertFalse(guard.renewThreads.contains(Thread.currentThread().name), guard.renewThreads.toString())
        assertEquals("ALREADY_COMPLETED", guarded.begin(body("wh_slow", 2uL)).claim())
        // A handler can renew on demand too; a finished delivery holds nothing.
        assertEquals("LOST", delivery.renew())
    }

    @Test
    fun aStaleHolderWithoutRenewalLearnsItLostAndLeavesTheOtherClaimAlone() {
        for (guard in listOf<WebhookGuard>(MemoryGuard(), MapGuard())) {
            val guarded = GuardedReceiver(receiver, guard, 100uL, renew = false)
            assertFalse(guarded.renews())
            val first = guarded.begin(body("wh_stale"))
            assertTrue(first.shouldProcess())
            Thread.sleep(250) // the lease lapses: no renewal
            val second = guarded.begin(body("wh_stale", 1uL))
            assertTrue(second.shouldProcess(), "a lapsed claim is taken by the redelivery")
            val stale = first.finish(false)
            assertTrue(stale.claimLost)
            assertEquals("HANDLER_FAILED", stale.name)
            assertTrue(first.claimLostMessage(false).contains("wh_stale"), first.claimLostMessage(false))
            // The second's claim survived the first's release: it completes as the holder.
            val done = second.finish(true)
            assertEquals("PROCESSED", done.name)
            assertFalse(done.claimLost)
            assertEquals("ALREADY_COMPLETED", guarded.begin(body("wh_stale", 2uL)).claim())
        }
    }

    @Test
    fun aThrowingGuardIsInternalAndItsMessageIsNeverShown() {
        val guarded = GuardedReceiver(receiver, ThrowingGuard())
        val e = assertThrows(KompliantException.Internal::class.java) { guarded.begin(body("wh_throw")) }
        assertEquals("INTERNAL", e.code())
        assertEquals(500.toUShort(), e.httpStatus())
        assertTrue(e.detail().contains("claim() threw java.lang.IllegalStateException"), e.detail())
        assertNoSecret(e.toString())
        assertNoSecret(e.detail())

        // complete throws: the answer stays the handler's, the error is in guardError.
        val finishing = GuardedReceiver(receiver, ThrowingGuard(setOf("complete")))
        val done = finishing.begin(body("wh_throw_complete")).finish(true)
        assertEquals("PROCESSED" to 200.toUShort(), done.name to done.httpStatus)
        val guardError = done.guardError ?: error("no guardError")
        assertEquals("INTERNAL", guardError.code())
        assertTrue(guardError.detail().contains("complete() threw java.lang.IllegalStateException"), guardError.detail())
        assertNoSecret(done.toString())

        // renew throws on the renewal thread: reported at finish as renewalError.
        val renewing = GuardedReceiver(receiver, ThrowingGuard(setOf("renew")), 60uL)
        val slow = renewing.begin(body("wh_throw_renew"))
        Thread.sleep(200)
        val renewed = slow.finish(true)
        val renewalError = renewed.renewalError ?: error("no renewalError")
        assertEquals("INTERNAL", renewalError.code())
        assertTrue(renewalError.detail().contains("renew() threw java.lang.IllegalStateException"), renewalError.detail())
        assertNoSecret(renewalError.toString())
    }

    @Test
    fun anUnknownAnswerIsInternal() {
        val lowerCase = object : WebhookGuard {
            override fun claim(webhookId: String, token: String, leaseMillis: ULong) = "acquired"
            override fun renew(webhookId: String, token: String, leaseMillis: ULong) = "HELD"
            override fun complete(webhookId: String, token: String) = "HELD"
            override fun release(webhookId: String, token: String) = "HELD"
        }
        val e = assertThrows(KompliantException.Internal::class.java) {
            GuardedReceiver(receiver, lowerCase).begin(body("wh_unknown"))
        }
        assertEquals("INTERNAL", e.code())
        assertTrue(e.detail().contains("claim() returned \"acquired\""), e.detail())

        val wrongRelease = object : WebhookGuard by MemoryGuard() {
            override fun release(webhookId: String, token: String) = "OK"
        }
        val failed = GuardedReceiver(receiver, wrongRelease).begin(body("wh_unknown_2")).finish(false)
        assertEquals("HANDLER_FAILED", failed.name)
        assertEquals("INTERNAL", failed.guardError?.code())
    }

    /** UniFFI's generated code catches only Exceptions: a kotlin.Error reads as an empty answer, still INTERNAL. */
    @Test
    fun aKotlinErrorFromAGuardIsInternalToo() {
        val failing = object : WebhookGuard by MemoryGuard() {
            override fun claim(webhookId: String, token: String, leaseMillis: ULong): String =
                throw AssertionError("hunter2")
        }
        val e = assertThrows(KompliantException.Internal::class.java) {
            GuardedReceiver(receiver, failing).begin(body("wh_error"))
        }
        assertTrue(e.detail().contains("claim() returned \"\""), e.detail())
        assertNoSecret(e.toString())
    }

    @Test
    fun aMemoryGuardKeepsItsOwnErrorCodeThroughTheInterface() {
        val guard = MemoryGuard()
        val e = assertThrows(KompliantException.MalformedEnvelope::class.java) {
            guard.claim("", newClaimToken(), 1_000uL)
        }
        assertEquals("MALFORMED_ENVELOPE", e.code())
        val longId = "w".repeat(300)
        val refused = assertThrows(KompliantException.MalformedEnvelope::class.java) {
            GuardedReceiver(receiver, guard).begin(body(longId))
        }
        assertEquals(400.toUShort(), refused.httpStatus())
    }

    @Test
    fun finishingTwiceIsATypedErrorAndClosingReleases() {
        val guard = MemoryGuard()
        val guarded = GuardedReceiver(receiver, guard)
        val delivery = guarded.begin(body("wh_twice"))
        delivery.finish(true)
        val e = assertThrows(KompliantException.Internal::class.java) { delivery.finish(true) }
        assertTrue(e.detail().contains("already finished"), e.detail())
        assertTrue(delivery.toString().contains("finished=true"), delivery.toString())

        val abandoned = guarded.begin(body("wh_closed"))
        assertTrue(abandoned.shouldProcess())
        assertEquals(2uL, guard.len())
        abandoned.close() // never finished: the claim is released
        assertEquals(1uL, guard.len())
        assertTrue(guarded.begin(body("wh_closed", 1uL)).use { it.shouldProcess() })
    }

    @Test
    fun handlerSucceededIsTheCoreRule() {
        assertTrue(handlerSucceeded(false))
        assertTrue(handlerSucceeded(false, 204u))
        assertTrue(handlerSucceeded(false, 399u))
        assertFalse(handlerSucceeded(false, 400u))
        assertFalse(handlerSucceeded(false, 503u))
        assertFalse(handlerSucceeded(true))
        assertFalse(handlerSucceeded(true, 200u))
    }

    @Test
    fun theMemoryGuardFencesByTokenAndTheRedisProtocolIsTheCores() {
        val guard = MemoryGuard(maxEntries = 1uL, retentionMillis = 60_000uL)
        val (a, b) = newClaimToken() to newClaimToken()
        assertNotEquals(a, b)
        assertEquals(22, a.length)
        assertEquals("ACQUIRED", guard.claim("wh_1", a, 1_000uL))
        assertEquals("IN_PROGRESS", guard.claim("wh_1", b, 1_000uL))
        assertEquals("AT_CAPACITY", guard.claim("wh_2", b, 1_000uL))
        assertEquals("LOST", guard.release("wh_1", b))
        assertEquals("HELD", guard.renew("wh_1", a, 1_000uL))
        assertEquals("HELD", guard.complete("wh_1", a))
        assertEquals("ALREADY_COMPLETED", guard.claim("wh_1", b, 1_000uL))
        assertEquals(1uL to 60_000uL, guard.maxEntries() to guard.retentionMillis())
        assertThrows(KompliantException.InvalidConfiguration::class.java) { MemoryGuard(maxEntries = 0uL) }
        assertTrue(guard.toString().startsWith("MemoryGuard(len=1"), guard.toString())

        val redis = redisProtocol()
        assertEquals("kompliant:webhook:", redis.defaultPrefix)
        assertEquals("done", redis.done)
        assertEquals("in-progress:", redis.inProgressPrefix)
        for (script in listOf(redis.claimScript, redis.renewScript, redis.completeScript, redis.releaseScript)) {
            assertTrue(script.contains("'in-progress:' .. ARGV[1]"), script)
        }
        assertEquals(7L * 86_400_000L, redis.defaultRetentionMillis.toLong())
        assertEquals(300_000uL, redis.defaultLeaseMillis)
        assertEquals(listOf("ACQUIRED", "ALREADY_COMPLETED", "IN_PROGRESS", "AT_CAPACITY"), redis.claims)
        assertEquals(listOf("HELD", "LOST"), redis.helds)
    }

    private val log = java.util.logging.Logger.getLogger("GuardTest")

    /** docs/kotlin-swift.md "Duplicate guard": the documented receive function, as written there. */
    @Test
    fun theDocumentedReceiveFunction() {
        val guarded = GuardedReceiver(WebhookReceiver(keyring), MemoryGuard())   // leaseMillis = 5 min, renew = true

        /** One webhook request: the status and text to answer with. Call from a worker thread. */
        fun receive(body: ByteArray, handle: (Webhook) -> Unit): Pair<Int, String> {
            val delivery = try {
                guarded.begin(body)
            } catch (e: KompliantException) {                  // refused body, or the guard failed
                return e.httpStatus().toInt() to e.publicMessage()
            }
            delivery.use {
                var succeeded = true
                if (delivery.shouldProcess()) {
                    succeeded = try { handle(delivery.webhook()); handlerSucceeded(raised = false) }
                                catch (e: Exception) { handlerSucceeded(raised = true) }
                }
                val finished = delivery.finish(succeeded)
                finished.guardError?.let { log.warning("duplicate guard: $it") }
                finished.renewalError?.let { log.warning("duplicate guard renewal: $it") }
                if (finished.claimLost) log.severe(delivery.claimLostMessage(succeeded))
                return finished.httpStatus.toInt() to finished.publicMessage
            }
        }

        val handled = mutableListOf<String>()
        assertEquals(200 to "webhook processed", receive(body("wh_doc")) { handled.add(it.id()) })
        assertEquals(200 to "webhook already processed", receive(body("wh_doc", 1uL)) { handled.add(it.id()) })
        assertEquals(500, receive(body("wh_doc_fail")) { throw IllegalStateException("handler bug") }.first)
        assertEquals(200, receive(body("wh_doc_fail", 1uL)) { handled.add(it.id()) }.first)
        assertEquals(listOf("wh_doc", "wh_doc_fail"), handled)
        val forged = body("wh_doc_forged").also { it[it.size / 2] = (it[it.size / 2] + 1).toByte() }
        assertEquals(400, receive(forged) { handled.add(it.id()) }.first)
        assertEquals(2, handled.size)
    }

    @Test
    fun nothingPrintsTheSecret() {
        val b64 = secret.toBase64()
        val guarded = GuardedReceiver(receiver, MemoryGuard(), 1_000uL)
        assertTrue(guarded.toString().contains("[REDACTED]"), guarded.toString())
        assertFalse(guarded.toString().contains(b64))
        val delivery = guarded.begin(body("wh_print"))
        assertTrue(delivery.toString().contains("wh_print"), delivery.toString())
        assertFalse(delivery.toString().contains(b64))
        assertFalse(delivery.finish(true).toString().contains(b64))
    }
}
