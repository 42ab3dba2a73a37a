// Hand-written (not generated): compiled with the generated bindings into the same package.
package com.kompliant.webhooks

import java.time.Duration
import java.util.logging.Level
import java.util.logging.Logger

/**
 * Loads the keyring file at [path] and follows it, logging each reload and problem through
 * `java.util.logging` ([LoggingKeyringFileListener]: logger `kompliant_webhooks`, reloads at
 * INFO, problems at WARNING). The default way to load a receiver's keys from a file:
 *
 * ```kotlin
 * import com.kompliant.webhooks.watch
 *
 * val receiver = WebhookReceiver(Keyring.watch("/etc/acme/kompliant-keys.json"))
 * ```
 *
 * A key another process adds to the file (a rotation storing its secret with
 * [addToKeyringFile]) is used by the next `decrypt`, at most [interval] (default 1 s) after the
 * change, and at once by a webhook naming a key id the keyring does not hold yet. If the file
 * becomes invalid the keyring keeps its last good keys and logs the problem once.
 *
 * To report elsewhere, pass a listener: `Keyring.watch(path, interval, listener)` (the
 * generated member, which this extension calls).
 *
 * @throws KompliantException as [Keyring.fromFile]: the file must load now (`IO_ERROR` if it
 * is missing, `INVALID_KEY` if it is not a keyring with at least one key).
 */
@Throws(KompliantException::class)
fun Keyring.Companion.watch(path: String, interval: Duration? = null): Keyring =
    Keyring.watch(path, interval, LoggingKeyringFileListener)

/**
 * The listener [Keyring.watch] uses when none is given: each event's log line (its
 * `toString()`, never a secret) to the `java.util.logging` logger `kompliant_webhooks`, a
 * reload at INFO and a problem at WARNING (with SLF4J's `jul-to-slf4j` bridge, or any JUL
 * handler, it reaches the application's log).
 */
object LoggingKeyringFileListener : KeyringFileListener {
    private val logger: Logger = Logger.getLogger("kompliant_webhooks")

    /** Logs [event] (see the object). */
    override fun onEvent(event: KeyringFileEvent) {
        val level = when (event) {
            is KeyringFileEvent.Reloaded -> Level.INFO
            is KeyringFileEvent.Problem -> Level.WARNING
        }
        if (logger.isLoggable(level)) logger.log(level, event.toString())
    }
}

/**
 * A [KeyringFileListener] from a lambda:
 *
 * ```kotlin
 * val keyring = Keyring.watch(path, listener = KeyringFileListener { event ->
 *     if (event is KeyringFileEvent.Problem) metrics.increment("keyring_file_problem", event.error.code())
 * })
 * ```
 *
 * Anything [block] throws, `kotlin.Error` included, is dropped here: a listener never breaks
 * `decrypt`. (A plain implementation's `Exception` is dropped as well, by the binding; a
 * `kotlin.Error` thrown by one would reach JNA's uncaught-exception handler instead.)
 */
fun KeyringFileListener(block: (KeyringFileEvent) -> Unit): KeyringFileListener = object : KeyringFileListener {
    override fun onEvent(event: KeyringFileEvent) {
        try {
            block(event)
        } catch (_: Throwable) {
            // Dropped on purpose: see above.
        }
    }
}
