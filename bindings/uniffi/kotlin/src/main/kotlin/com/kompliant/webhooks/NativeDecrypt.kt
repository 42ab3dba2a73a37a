// Hand-written (not generated): compiled with the generated bindings into the same package.
package com.kompliant.webhooks

import com.sun.jna.Library
import com.sun.jna.NativeLibrary
import java.nio.ByteBuffer

/**
 * The JNI fast path of [WebhookReceiver.decrypt] (bindings/uniffi/src/jvm.rs): one native
 * call per decrypt, returning one byte array (a status byte, then the webhook's buffer or the
 * UniFFI-serialised error). The JVM binds `external` functions only in libraries loaded with
 * [System.load], so this loads the very file JNA loaded for the generated bindings (the same
 * library, mapped once). If that fails (a library JNA found without a file), [available] is
 * false and decrypts take UniFFI's path, slower but the same.
 */
internal object NativeDecrypt {
    /** Whether the JNI function is bound. */
    val available: Boolean = load()

    /** Decrypts [body] with the receiver whose UniFFI handle is [receiver] (kept alive by the caller). */
    @JvmStatic
    external fun decrypt(receiver: Long, body: ByteArray): ByteArray

    /** The webhook of an answer of [decrypt], or its error thrown as the generated bindings throw it. */
    fun webhookOf(answer: ByteArray): Webhook {
        if (answer[0] == WEBHOOK) return Webhook.fromWire(answer, 1)
        throw FfiConverterTypeKompliantError.read(ByteBuffer.wrap(answer, 1, answer.size - 1))
    }

    private const val WEBHOOK: Byte = 0

    private fun load(): Boolean = try {
        // The name the generated bindings give JNA (their findLibraryName).
        val name = System.getProperty("uniffi.component.kompliant_webhooks.libraryOverride")
            ?: "kompliant_webhooks_uniffi"
        val options = mapOf(Library.OPTION_CLASSLOADER to NativeDecrypt::class.java.classLoader)
        val file = NativeLibrary.getInstance(name, options).file
        if (file == null) {
            false
        } else {
            System.load(file.absolutePath)
            true
        }
    } catch (e: UnsatisfiedLinkError) {
        false
    } catch (e: SecurityException) {
        false
    }
}
