// Hand-written (not generated): compiled with the generated bindings into the same package.
package com.kompliant.webhooks

import java.nio.ByteBuffer

/**
 * A decrypted, verified webhook: every metadata value has been verified through the GCM tag.
 * `toString()` shows the metadata and the payload's size, never its content (it may hold
 * personal data).
 *
 * Why hand-written: a decrypt returns one buffer (metadata, retry count and payload; the
 * layout is `to_wire` in bindings/uniffi/src/webhook.rs) that this class reads, so a decrypt
 * costs one call into the library instead of one per field (see docs/decided.md).
 */
class Webhook private constructor(
    private val wire: ByteArray,
    private val start: Int,
    private val id: String,
    private val eventType: String,
    private val timestamp: String,
    private val accountId: String,
    private val schemaVersion: String,
    private val keyId: String,
    private val retryCount: ULong,
    private val payloadOffset: Int,
) {
    @Volatile private var payloadText: String? = null

    /** The verified metadata (a fresh copy on each call). */
    fun metadata(): WebhookMetadata = WebhookMetadata(id, eventType, timestamp, accountId, schemaVersion, keyId)

    /** Unique message id (`wh_…`): deduplicate on it (delivery is at-least-once). */
    fun id(): String = id

    /** Event type, e.g. `WORKFLOW_CREATED`. */
    fun eventType(): String = eventType

    /** Event time as sent (ISO 8601 UTC). */
    fun timestamp(): String = timestamp

    /** Account id (`lv_…` or `sb_…`). */
    fun accountId(): String = accountId

    /** Envelope schema version (`YYYY-MM-DD`). */
    fun schemaVersion(): String = schemaVersion

    /** Id of the key that decrypted it. */
    fun keyId(): String = keyId

    /**
     * Delivery attempt number, 0 on the first. NOT authenticated: use it for logging and
     * metrics only, never for decisions.
     */
    fun retryCount(): ULong = retryCount

    /** The payload's exact decrypted text (a JSON object), byte for byte as sent. */
    fun payloadJson(): String =
        payloadText ?: String(wire, payloadOffset, wire.size - payloadOffset, Charsets.UTF_8).also { payloadText = it }

    /** The payload's exact decrypted bytes (UTF-8 JSON); a fresh copy on each call. */
    fun payloadBytes(): ByteArray = wire.copyOfRange(payloadOffset, wire.size)

    /**
     * The payload as a typed view: `Workflow` for `WORKFLOW_*` events,
     * `SubjectRecordDataUpdated`, or `Other` for event types without a view (read
     * `payloadJson()` then). Throws `PAYLOAD_SCHEMA_MISMATCH` if a known event's payload lacks
     * a required field, has one of the wrong type, or has an unsupported major version.
     */
    @Throws(KompliantException::class)
    fun event(): Event = parseEvent(eventType, payloadJson())

    override fun toString(): String =
        "Webhook(metadata=${metadata()}, retryCount=$retryCount, payload=<${wire.size - payloadOffset} bytes>)"

    /** @suppress The buffer this webhook was read from (UniFFI's custom-type conversion). */
    fun toWire(): ByteArray = if (start == 0) wire else wire.copyOfRange(start, wire.size)

    companion object {
        private const val FIELDS = 6

        /**
         * @suppress Reads the buffer of `to_wire` (bindings/uniffi/src/webhook.rs) that starts at
         * [start] of [wire] and runs to its end.
         */
        fun fromWire(wire: ByteArray, start: Int = 0): Webhook {
            val header = ByteBuffer.wrap(wire, start, wire.size - start)
            val retryCount = header.getLong().toULong()
            val lengths = IntArray(FIELDS) { Math.toIntExact(header.getLong()) }
            var at = header.position()
            val fields = Array(FIELDS) { i ->
                String(wire, at, lengths[i], Charsets.UTF_8).also { at += lengths[i] }
            }
            return Webhook(wire, start, fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], retryCount, at)
        }
    }
}
