'use strict';
// The core's stable values the package exports: error codes, wire profile names, the status a
// failing handler is answered with, and the HTTP answer for each error code.

const binding = require('./native.js');
const errors = require('./errors.js');

/** Every stable error code, in documentation order (from the core). */
const ERROR_CODES = Object.freeze(binding.errorCodes());

/** The built-in wire profile names; the first is the default. */
const PROFILES = Object.freeze(binding.profileNames());

/**
 * The HTTP status an adapter answers when the user's webhook handler throws or rejects,
 * whatever the error (the core's `decided::HANDLER_FAILURE_STATUS`: 500, so Kompliant
 * redelivers). Refused webhooks answer their error's own `httpStatus`.
 */
const HANDLER_FAILURE_STATUS = binding.HANDLER_FAILURE_STATUS;

/**
 * The answer a webhook receiver sends when an error with this stable `code` ends a delivery,
 * `{ status, publicMessage }` (the core's `ErrorCode::http_status` / `public_message`): what
 * `WebhookError`s carry as `httpStatus` / `publicMessage`. For adapters of your own. A
 * `RangeError` for a string that is not in `ERROR_CODES`.
 */
function httpAnswer(code) {
  if (typeof code !== 'string') throw new TypeError('code must be a string (one of ERROR_CODES)');
  const { status, publicMessage } = errors.native(() => binding.httpAnswer(code));
  return { status, publicMessage };
}

module.exports = { ERROR_CODES, PROFILES, HANDLER_FAILURE_STATUS, httpAnswer };
