// Hand-written (not generated): compiled with the generated bindings into the same package.
package com.kompliant.webhooks

import kotlin.coroutines.cancellation.CancellationException

/**
 * A [WebhookKeyStore] whose `store` never lets a [Throwable] escape: a [KompliantException]
 * passes through unchanged, a [CancellationException] is rethrown (coroutine cancellation
 * keeps working), and anything else (an `Exception`, or a `kotlin.Error` such as `TODO()`'s
 * `NotImplementedError` or an `AssertionError`) is rethrown as
 * [KompliantException.StoreFailed] whose detail is `"the store threw <toString()>"`. The
 * rotation then fails with `STORE_FAILED` and the key is never activated.
 *
 * Why: UniFFI's generated callback code catches only `kotlin.Exception`. A `kotlin.Error`
 * thrown by a plain [WebhookKeyStore] escapes to the coroutine's uncaught-exception handler,
 * the Rust side is never told the store finished, and `rotateWebhookKey` never returns.
 *
 * Build one with [WebhookKeyStore.Companion.safe] or wrap an existing store with [safe].
 */
class SafeWebhookKeyStore(
    private val block: suspend (keyId: String, secretBase64: String) -> Unit,
) : WebhookKeyStore {
    /** Runs the wrapped store; every failure leaves as a [KompliantException] (see the class). */
    override suspend fun store(keyId: String, secretBase64: String) {
        try {
            block(keyId, secretBase64)
        } catch (e: KompliantException) {
            throw e
        } catch (e: CancellationException) {
            throw e
        } catch (e: Throwable) {
            throw KompliantException.StoreFailed("STORE_FAILED", "the store threw $e", null)
        }
    }
}

/**
 * A key store from a suspend lambda that reports every failure, `kotlin.Error` included, as
 * `STORE_FAILED` (see [SafeWebhookKeyStore]):
 *
 * ```kotlin
 * val store = WebhookKeyStore.safe { keyId, secretBase64 -> vault.put(keyId, secretBase64) }
 * client.rotateWebhookKey(accountId, store)
 * ```
 */
fun WebhookKeyStore.Companion.safe(
    block: suspend (keyId: String, secretBase64: String) -> Unit,
): WebhookKeyStore = SafeWebhookKeyStore(block)

/**
 * This store, wrapped so that every failure, `kotlin.Error` included, is reported as
 * `STORE_FAILED` (see [SafeWebhookKeyStore]). Returns the store itself if it is already safe.
 */
fun WebhookKeyStore.safe(): WebhookKeyStore =
    this as? SafeWebhookKeyStore ?: SafeWebhookKeyStore { keyId, secretBase64 -> store(keyId, secretBase64) }
