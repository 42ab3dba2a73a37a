//! Errors crossing into JavaScript: a JS `Error` whose message is the shared encoding
//! (`kompliant_webhooks_js_shared::error`), exactly what the napi binding throws, so the JS
//! layer's `fromNative` (`node/lib/errors.js`) maps it to the same classes and `.code`.

use kompliant_webhooks::WebhookError;
use kompliant_webhooks_js_shared::error::{self as shared, JsError};
use wasm_bindgen::JsValue;

/// What the exported functions return: a thrown JS value on failure.
pub(crate) type Result<T> = std::result::Result<T, JsValue>;

/// The JS `Error` thrown for a shared error.
pub(crate) fn thrown(e: JsError) -> JsValue {
    js_sys::Error::new(e.message()).into()
}

/// A receive-path error.
pub(crate) fn webhook_error(e: &WebhookError) -> JsValue {
    thrown(shared::webhook_error(e))
}

/// A bad argument of the wrong type (`TypeError` in the JS layer).
pub(crate) fn type_error(message: impl Into<String>) -> JsValue {
    thrown(shared::type_error(message))
}

/// A bad argument value (`RangeError` in the JS layer).
pub(crate) fn range_error(message: impl Into<String>) -> JsValue {
    thrown(shared::range_error(message))
}

/// A function of the Node build that needs a filesystem or threads: an `IO_ERROR` webhook
/// error (`IoError` in the JS layer) naming it.
pub(crate) fn not_on_edge(what: &str, path: &str) -> JsValue {
    webhook_error(&WebhookError::IoError {
        path: shared::bounded_for_message(path),
        detail: format!(
            "{what} is not available in the edge (WebAssembly) build, which has no \
             filesystem; load keys with Keyring.fromJson or Keyring.fromEnv(env) instead"
        ),
    })
}
