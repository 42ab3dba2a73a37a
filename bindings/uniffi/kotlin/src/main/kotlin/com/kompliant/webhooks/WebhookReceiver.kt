// Hand-written (not generated): compiled with the generated bindings into the same package.
package com.kompliant.webhooks

import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong

/**
 * Decrypts and verifies webhook bodies with the keys of a [Keyring]. Thread-safe; keys added
 * to the keyring later are used at once. A receiver over [keyring] (shared, not copied) with
 * [options] (default: the documented behaviour). Throws `INVALID_CONFIGURATION` if
 * `maxBodyBytes` is 0.
 *
 * Everything but [decrypt] is the generated [WebhookReceiverBase]; [decrypt] takes one JNI
 * call instead of UniFFI's several JNA calls (docs/decided.md has the figures), with the same
 * results and the same [KompliantException]s.
 */
class WebhookReceiver @JvmOverloads constructor(
    keyring: Keyring,
    options: ReceiverOptions? = null,
) : WebhookReceiverBase(keyring, options) {
    // 1 until closed, plus 1 per decrypt in flight: the Rust object is freed at 0, as the
    // generated methods' own call count does (theirs is private to the generated class).
    private val calls = AtomicLong(1)
    private val closed = AtomicBoolean(false)

    /**
     * Decrypts and verifies one raw request body: pass the bytes received, unchanged. (The
     * wire profile authenticates the decoded envelope fields, so what fails is a body that
     * was altered or truncated, decoded with a wrong charset, or rebuilt from a model that
     * dropped or changed fields.)
     *
     * Throws `BODY_TOO_LARGE`, `MALFORMED_ENVELOPE`, `UNKNOWN_KEY`, `DECRYPTION_FAILED`,
     * `PAYLOAD_NOT_JSON`, or `TIMESTAMP_OUT_OF_RANGE` (only with a time window configured).
     * Answer the sender with the error's `httpStatus()` and `publicMessage()`.
     */
    @Throws(KompliantException::class)
    override fun decrypt(`body`: ByteArray): Webhook {
        if (!NativeDecrypt.available) return super.decrypt(body)
        do {
            val c = calls.get()
            check(c != 0L) { "WebhookReceiver object has already been destroyed" }
        } while (!calls.compareAndSet(c, c + 1))
        try {
            return NativeDecrypt.webhookOf(NativeDecrypt.decrypt(handle, body))
        } finally {
            release()
        }
    }

    override fun destroy() {
        if (closed.compareAndSet(false, true)) release()
    }

    private fun release() {
        if (calls.decrementAndGet() == 0L) super.destroy()
    }
}
