package com.kompliant.webhooks

import java.io.File
import java.nio.file.Files
import java.time.Duration
import java.time.Instant
import java.time.temporal.ChronoUnit
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.TimeUnit
import java.util.logging.Handler
import java.util.logging.Level
import java.util.logging.LogRecord
import java.util.logging.Logger
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertTimeoutPreemptively

/**
 * Keyring files as a running receiver uses them: `Keyring.watch` follows the file another
 * thread or process rotates keys into, keeps its last good keys through a bad file and reports
 * that once; `addToKeyringFile` records retirements and prunes; no keyring is silently empty.
 */
class KeyringWatchTest {
    private val first = "whk_20251121_01"
    private val second = "whk_20251122_01"
    private val third = "whk_20251123_01"
    private val secrets = mapOf(first to WebhookSecret.generate(), second to WebhookSecret.generate(), third to WebhookSecret.generate())
    private val dir: File = Files.createTempDirectory("kompliant-watch").toFile()
    private val file = File(dir, "keys.json")

    private fun b64(keyId: String) = secrets.getValue(keyId).toBase64()

    private fun sealed(keyId: String, id: String = "wh_watch_$keyId"): ByteArray =
        sealWebhook(
            WebhookMetadata(id, "WORKFLOW_CREATED", "2025-11-21T14:30:22.123Z", "sb_123", "2025-11-21", keyId),
            """{"version":"1.0"}""".toByteArray(),
            secrets.getValue(keyId),
        ).body(0uL)

    /** A listener that records every event. */
    private class Recorder : KeyringFileListener {
        val events = CopyOnWriteArrayList<KeyringFileEvent>()
        override fun onEvent(event: KeyringFileEvent) {
            events.add(event)
        }
        val problems get() = events.filterIsInstance<KeyringFileEvent.Problem>()
        val reloads get() = events.filterIsInstance<KeyringFileEvent.Reloaded>()
    }

    // --- no silent empty keyring; paths that are not keyring files ---

    @Test
    fun fromEnvWithNoKeyVariableIsInvalidKeyNamingWhatToSet() {
        val e = ProcessEnv.withVars(emptyMap(), clearPrefixes = listOf("KOMPLIANT_WEBHOOK_SECRET_")) {
            expectTypedError(setOf("INVALID_KEY")) { Keyring.fromEnv() }
        }
        assertTrue(e.detail().contains("KOMPLIANT_WEBHOOK_SECRET_"), e.detail())
    }

    @Test
    fun aKeyringWithNoKeyIsInvalidKeyFromTextFileAndWatch() {
        file.writeText("{}\n")
        val errors = listOf(
            expectTypedError(setOf("INVALID_KEY")) { Keyring.fromJson("{}") },
            expectTypedError(setOf("INVALID_KEY")) { Keyring.fromFile(file.path) },
            expectTypedError(setOf("INVALID_KEY")) { Keyring.watch(file.path) },
        )
        for (e in errors) assertTrue(e.detail().contains("no key"), e.detail())
    }

    @Test
    fun aDirectoryAFifoAndNonUtf8AreInvalidKeyAndAMissingFileIsIoError() {
        val fifo = File(dir, "keys.fifo")
        val mkfifo = ProcessBuilder("mkfifo", fifo.path).inheritIO().start()
        assertEquals(0, mkfifo.waitFor())
        val binary = File(dir, "binary.json").apply { writeBytes(byteArrayOf(0x7B, 0xFF.toByte(), 0xFE.toByte(), 0x7D)) }
        // A FIFO with no writer would block an open() forever: the calls must return at once.
        assertTimeoutPreemptively(Duration.ofSeconds(10)) {
            for (path in listOf(dir.path, fifo.path, binary.path)) {
                val fromFile = expectTypedError(setOf("INVALID_KEY")) { Keyring.fromFile(path) }
                val watched = expectTypedError(setOf("INVALID_KEY")) { Keyring.watch(path, null, Recorder()) }
                assertEquals(fromFile.detail(), watched.detail())
            }
            expectTypedError(setOf("INVALID_KEY")) { addToKeyringFile(fifo.path, first, b64(first)) }
        }
        expectTypedError(setOf("IO_ERROR")) { Keyring.watch(File(dir, "missing.json").path) }
    }

    // --- a watched keyring follows its file ---

    @Test
    fun aKeyAnotherThreadAddsIsUsedByTheNextDecrypt() {
        addToKeyringFile(file.path, first, b64(first))
        val recorder = Recorder()
        // The default interval (1 s): the key id the keyring lacks makes it look at once.
        val keyring = Keyring.watch(file.path, null, recorder)
        assertEquals(file.path, keyring.watchedPath())
        val receiver = WebhookReceiver(keyring)
        assertEquals(first, receiver.decrypt(sealed(first)).keyId())
        expectTypedError(setOf("UNKNOWN_KEY")) { receiver.decrypt(sealed(second)) }

        // Another thread rotates: stores the new key, then Kompliant seals with it.
        Thread { addToKeyringFile(file.path, second, b64(second)) }.apply { start(); join() }
        assertEquals(second, receiver.decrypt(sealed(second)).keyId())
        // The rotated-out key is retired, not removed: redeliveries sealed with it still decrypt.
        assertEquals(first, receiver.decrypt(sealed(first, "wh_redelivered")).keyId())
        assertEquals(listOf(first, second), keyring.keyIds())
        val line = "keyring file ${file.path} reloaded: $first, $second"
        assertEquals(listOf(KeyringFileEvent.Reloaded(file.path, listOf(first, second), line)), recorder.events.toList())
        assertEquals(line, recorder.events.single().toString())
        assertNull(Keyring.fromFile(file.path).watchedPath())
    }

    @Test
    fun aKeyRemovedFromTheFileIsDroppedWithinTheInterval() {
        file.writeText("""{"$first":"${b64(first)}","$second":"${b64(second)}"}""")
        val keyring = Keyring.watch(file.path, Duration.ofMillis(100), Recorder())
        val receiver = WebhookReceiver(keyring)
        assertEquals(first, receiver.decrypt(sealed(first)).keyId())
        file.writeText("""{"$second":"${b64(second)}"}""")
        // Polled generously: the file is looked at again at most 100 ms after the last look.
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10)
        while (keyring.contains(first) && System.nanoTime() < deadline) Thread.sleep(20)
        assertEquals(listOf(second), keyring.keyIds())
        expectTypedError(setOf("UNKNOWN_KEY")) { receiver.decrypt(sealed(first)) }
    }

    @Test
    fun aBadFileKeepsTheLastGoodKeysAndIsReportedOnceUntilAGoodFileReturns() {
        addToKeyringFile(file.path, first, b64(first))
        val good = file.readText()
        val recorder = Recorder()
        val keyring = Keyring.watch(file.path, Duration.ZERO, recorder)
        val receiver = WebhookReceiver(keyring)

        // Half-written: every decrypt still works with the keys loaded before; one report.
        file.writeText(good.take(good.length / 2))
        repeat(5) { assertEquals(first, receiver.decrypt(sealed(first)).keyId()) }
        val corrupt = recorder.problems.single()
        assertEquals(file.path, corrupt.path)
        assertEquals("INVALID_KEY", corrupt.error.code())
        assertTrue(corrupt.toString().contains("keeping the keys loaded before"), corrupt.toString())
        assertNoSecretIn(renderings(corrupt), mapOf("first" to java.util.Base64.getDecoder().decode(b64(first))))

        // The bad file written again (a new modification time, the same problem): not reported again.
        file.writeText(good.take(good.length / 2))
        repeat(3) { receiver.decrypt(sealed(first)) }
        assertEquals(1, recorder.problems.size, recorder.events.toString())

        // A good file again, then a rotation: loaded once, reported, used.
        file.writeText(good)
        addToKeyringFile(file.path, second, b64(second))
        assertEquals(second, receiver.decrypt(sealed(second)).keyId())
        assertEquals(listOf(first, second), recorder.reloads.single().keyIds)

        // Deleted: the keys stay, one IO_ERROR problem, then the file returns.
        val saved = file.readBytes()
        assertTrue(file.delete())
        repeat(5) { assertEquals(second, receiver.decrypt(sealed(second)).keyId()) }
        assertEquals(listOf("INVALID_KEY", "IO_ERROR"), recorder.problems.map { it.error.code() })
        File(dir, "keys.tmp").apply { writeBytes(saved) }.renameTo(file)
        receiver.decrypt(sealed(first))
        assertEquals(2, recorder.reloads.size, recorder.events.toString())
        assertEquals(2, recorder.problems.size, recorder.events.toString())
    }

    @Test
    fun aListenerThatThrowsNeverBreaksDecrypt() {
        addToKeyringFile(file.path, first, b64(first))
        val calls = CopyOnWriteArrayList<KeyringFileEvent>()
        val throwing = listOf<KeyringFileListener>(
            object : KeyringFileListener {
                override fun onEvent(event: KeyringFileEvent) {
                    calls.add(event)
                    throw IllegalStateException("listener bug")
                }
            },
            object : KeyringFileListener {
                override fun onEvent(event: KeyringFileEvent) {
                    calls.add(event)
                    throw KompliantException.Internal("INTERNAL", "listener bug", null)
                }
            },
            KeyringFileListener { event ->
                calls.add(event)
                throw AssertionError("a kotlin.Error")
            },
        )
        for (listener in throwing) {
            addToKeyringFile(file.path, first, b64(first))
            val receiver = WebhookReceiver(Keyring.watch(file.path, Duration.ZERO, listener))
            file.writeText("{not json")
            assertEquals(first, receiver.decrypt(sealed(first)).keyId())
            file.delete()
            addToKeyringFile(file.path, second, b64(second))
            assertEquals(second, receiver.decrypt(sealed(second)).keyId())
            file.delete()
        }
        // Each listener was told of the problem and of the reload, although it threw each time.
        assertEquals(6, calls.size, calls.toString())
    }

    @Test
    fun withoutAListenerEventsGoToJavaUtilLogging() {
        val records = CopyOnWriteArrayList<LogRecord>()
        val handler = object : Handler() {
            override fun publish(record: LogRecord) {
                records.add(record)
            }
            override fun flush() {}
            override fun close() {}
        }
        val logger = Logger.getLogger("kompliant_webhooks")
        logger.addHandler(handler)
        try {
            addToKeyringFile(file.path, first, b64(first))
            val receiver = WebhookReceiver(Keyring.watch(file.path, Duration.ZERO))
            file.writeText("[]")
            receiver.decrypt(sealed(first))
            receiver.decrypt(sealed(first))
            addToKeyringFile(File(dir, "next.json").path, second, b64(second))
            File(dir, "next.json").renameTo(file)
            receiver.decrypt(sealed(second))
        } finally {
            logger.removeHandler(handler)
        }
        assertEquals(listOf(Level.WARNING, Level.INFO), records.map { it.level }, records.map { it.message }.toString())
        assertTrue(records[0].message.startsWith("keyring file ${file.path} changed but cannot be loaded"), records[0].message)
        assertEquals("keyring file ${file.path} reloaded: $second", records[1].message)
    }

    // --- the file format writers produce ---

    @Test
    fun addToKeyringFileRetiresTheKeyItReplacesWithAnRfc3339Time() {
        val before = Instant.now().truncatedTo(ChronoUnit.SECONDS)
        addToKeyringFile(file.path, first, b64(first))
        addToKeyringFile(file.path, second, b64(second))
        val after = Instant.now()
        val json = JSONObject(file.readText())
        assertEquals(setOf(first, second), json.keySet())
        assertEquals(b64(second), json.getString(second))
        val retired = json.getJSONObject(first)
        assertEquals(b64(first), retired.getString("secret"))
        val at = retired.getString("retired_at")
        assertTrue(at.matches(Regex("""\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ""")), at)
        assertTrue(Instant.parse(at) in before..after, "$at not in $before..$after")
        // Every reader loads both: the retired key still decrypts redeliveries.
        assertEquals(listOf(first, second), Keyring.fromFile(file.path).keyIds())
        // Owner-only, like every secret file.
        val mode = Files.getPosixFilePermissions(file.toPath())
        assertEquals(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"), mode)
    }

    @Test
    fun writersPruneKeysRetiredLongerThanTheRetention() {
        val now = Instant.now().truncatedTo(ChronoUnit.SECONDS)
        file.writeText(
            """{"$first":{"secret":"${b64(first)}","retired_at":"${now.minus(Duration.ofDays(8))}"},""" +
                """"$second":{"secret":"${b64(second)}","retired_at":"${now.minus(Duration.ofDays(1))}"}}""",
        )
        // Readers hold every key of the file, retired long ago or not.
        assertEquals(listOf(first, second), Keyring.fromFile(file.path).keyIds())

        // The default retention is 7 days: the key retired 8 days ago leaves the file.
        addToKeyringFile(file.path, third, b64(third))
        assertEquals(setOf(second, third), JSONObject(file.readText()).keySet())

        // A shorter retention drops a key retired two days ago, but never the key the last
        // rotation retired (a day ago here): it may still be ACTIVE if that rotation failed.
        file.writeText(
            """{"$first":{"secret":"${b64(first)}","retired_at":"${now.minus(Duration.ofDays(2))}"},""" +
                """"$second":{"secret":"${b64(second)}","retired_at":"${now.minus(Duration.ofDays(1))}"},""" +
                """"$third":"${b64(third)}"}""",
        )
        addToKeyringFile(file.path, third, b64(third))
        assertEquals(setOf(first, second, third), JSONObject(file.readText()).keySet())
        addToKeyringFile(file.path, third, b64(third), Duration.ofHours(1))
        assertEquals(setOf(second, third), JSONObject(file.readText()).keySet())
        assertEquals(listOf(second, third), Keyring.fromFile(file.path).keyIds())

        // An old file (every value a string) still loads and is upgraded by the next write.
        file.writeText("""{"$first":"${b64(first)}"}""")
        addToKeyringFile(file.path, second, b64(second))
        assertEquals(b64(first), JSONObject(file.readText()).getJSONObject(first).getString("secret"))
    }
}
