'use strict';

const binding = require('./native.js');
const { native } = require('./errors.js');
const { INSPECT } = require('./internal.js');
const bytes = require('./bytes.js');

const CREATE = Symbol('kompliant-webhooks.create-webhook');

function userContext(u) {
  return { userId: u.userId, userType: u.userType };
}

function changes(list) {
  return list.map((c) => ({ idField: c.idField, id: c.id, fields: c.fields }));
}

/** A native event view as the package's discriminated union on `type`. */
function shapeEvent(n) {
  switch (n.kind) {
    case 'workflow':
      return {
        type: 'workflow',
        eventType: n.eventType,
        version: n.version,
        subjectRecordId: n.subjectRecordId,
        userContext: userContext(n.userContext),
        workflowId: n.workflowId,
        workflowType: n.workflowType,
      };
    case 'subjectRecordDataUpdated':
      return {
        type: 'subjectRecordDataUpdated',
        eventType: n.eventType,
        version: n.version,
        subjectRecordId: n.subjectRecordId,
        userContext: userContext(n.userContext),
        entities: {
          business: changes(n.entities.business),
          persons: changes(n.entities.persons),
          bankAccounts: changes(n.entities.bankAccounts),
          salesInfo: changes(n.entities.salesInfo),
        },
      };
    default:
      return { type: 'other', eventType: n.eventType };
  }
}

/**
 * A verified, decrypted webhook. Only `WebhookReceiver.decrypt` makes one, after the GCM tag
 * verified: the metadata fields are the verified values. `retryCount` is NOT authenticated.
 */
class Webhook {
  /**
   * The payload's exact UTF-8 text: bytes (a Buffer in Node), or the index in `#latin1` from which its bytes
   * follow, one a character (a text under 64 KiB). `payloadText` makes the string on first use.
   */
  #text;
  #latin1;
  #payloadText;
  #payload;

  constructor(token, decrypted, payload) {
    if (token !== CREATE) {
      throw new TypeError('Webhook objects come from WebhookReceiver.decrypt(); they cannot be constructed');
    }
    // `decrypted` is the native decrypt's [latin1, parts, text, …]: `parts` is a separator,
    // then the six metadata fields and the retry count, each but the last followed by the
    // separator (bindings/node/src/receiver.rs, joined_parts). Read with indexOf/slice:
    // twice as fast as split() here, which counts on small webhooks.
    const parts = decrypted[1];
    const separator = parts[0];
    let start = 1;
    let end = parts.indexOf(separator, start);
    /** Unique message id (`wh_…`): deduplicate on it. */
    this.id = parts.slice(start, end);
    end = parts.indexOf(separator, (start = end + 1));
    /** Event type, e.g. `WORKFLOW_CREATED`. */
    this.eventType = parts.slice(start, end);
    end = parts.indexOf(separator, (start = end + 1));
    /** Event time as sent (ISO 8601 UTC). */
    this.timestamp = parts.slice(start, end);
    end = parts.indexOf(separator, (start = end + 1));
    /** Account id (`lv_…` live, `sb_…` sandbox). */
    this.accountId = parts.slice(start, end);
    end = parts.indexOf(separator, (start = end + 1));
    /** Envelope schema version (`YYYY-MM-DD`). */
    this.schemaVersion = parts.slice(start, end);
    end = parts.indexOf(separator, (start = end + 1));
    /** The key that decrypted it. */
    this.keyId = parts.slice(start, end);
    /** Delivery attempt, 0 on the first. NOT authenticated: for logs and metrics only. */
    this.retryCount = Number(parts.slice(end + 1));
    this.#text = decrypted[2];
    if (typeof this.#text === 'number') this.#latin1 = decrypted[0];
    this.#payload = payload;
    Object.freeze(this);
  }

  static [CREATE](decrypted, payload) {
    return new Webhook(CREATE, decrypted, payload);
  }

  /** The six verified metadata fields. */
  get metadata() {
    return {
      id: this.id,
      eventType: this.eventType,
      timestamp: this.timestamp,
      accountId: this.accountId,
      schemaVersion: this.schemaVersion,
      keyId: this.keyId,
    };
  }

  /** The payload's exact decrypted text (a JSON object), byte for byte as sent. */
  get payloadText() {
    if (this.#payloadText === undefined) this.#payloadText = native(() => binding.payloadText(this.#textBytes()));
    return this.#payloadText;
  }

  /** The payload's exact UTF-8 bytes. */
  #textBytes() {
    const text = this.#text;
    return typeof text === 'number' ? bytes.latin1(this.#latin1.slice(text)) : text;
  }

  /**
   * The payload as a plain object (the same one on every access; built from what the core
   * parsed while checking it, equal to `JSON.parse(payloadText)`).
   */
  get payload() {
    return this.#payload;
  }

  /**
   * The payload as a typed view: `type` is `workflow` (`WORKFLOW_*` events),
   * `subjectRecordDataUpdated`, or `other` (read `payload`). Throws a
   * `PayloadSchemaMismatchError` if a known event's payload does not fit its schema.
   */
  event() {
    return shapeEvent(native(() => binding.parseEvent(this.eventType, this.payloadText)));
  }

  /** The metadata, retry count and parsed payload (for queues and storage). */
  toJSON() {
    return { ...this.metadata, retryCount: this.retryCount, payload: this.payload };
  }

  /** Logs show the metadata and the payload's size, not its content (it may hold personal data). */
  [INSPECT](depth, options, inspect) {
    const shown = { ...this.metadata, retryCount: this.retryCount, payload: `<${this.#textBytes().length} bytes>` };
    return `Webhook ${inspect(shown, options)}`;
  }
}

module.exports = { Webhook, CREATE, shapeEvent };
