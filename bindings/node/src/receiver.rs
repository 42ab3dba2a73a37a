//! `WebhookReceiver`: raw body in, verified webhook parts out (the core's
//! [`core::WebhookReceiver`]). The receive call itself, the payload tape and the joined parts
//! are `kompliant_webhooks_js_shared::receive`, shared with the WebAssembly build; this
//! module turns its result into the napi values the JS layer reads, made by [`crate::text`]
//! in the form V8 keeps strings. Every value crossing napi costs time.

use kompliant_webhooks as core;
use kompliant_webhooks_js_shared::receive::{
    self as shared, CustomProfile, PayloadText, ReceiverSettings,
};
use napi::bindgen_prelude::{Array, BufferSlice, External, Float64ArraySlice};
use napi::{Env, JsString};
use napi_derive::napi;

use crate::error::{guard, guard_shared, thrown};
use crate::keyring::Keyring;
use crate::text::{js_text, latin1_js_string, short_js_string};

/// A wire profile of your own (when Kompliant's real layout differs from the built-ins): the
/// configuration values of the core's `WireProfile::from_names`, passed through unchanged.
#[napi(object)]
pub struct NativeCustomProfile {
    /// The profile's name (for logs).
    pub name: String,
    /// `after_ciphertext` (`nonce || ciphertext || tag`, the default) or `before_ciphertext`.
    pub tag_position: Option<String>,
    /// Envelope names of the authenticated fields in order (`id`, `event_type`, …); absent
    /// for the documented six, empty for no AAD.
    pub aad_fields: Option<Vec<String>>,
    /// Separator between the AAD fields (default `|`).
    pub aad_separator: Option<String>,
}

impl From<&NativeCustomProfile> for CustomProfile {
    fn from(c: &NativeCustomProfile) -> Self {
        CustomProfile {
            name: c.name.clone(),
            tag_position: c.tag_position.clone(),
            aad_fields: c.aad_fields.clone(),
            aad_separator: c.aad_separator.clone(),
        }
    }
}

/// How a receiver checks webhooks (every field optional: the documented defaults).
#[napi(object)]
pub struct NativeReceiverOptions {
    /// A built-in profile by name (`kompliant-2025-11-21`, `kompliant-2025-11-21-no-aad`).
    pub profile: Option<String>,
    /// A custom profile (instead of `profile`).
    pub custom_profile: Option<NativeCustomProfile>,
    /// Largest body accepted, in bytes (default 8 MiB).
    pub max_body_bytes: Option<f64>,
    /// Refuse webhooks older than this many seconds (off by default).
    pub max_age_seconds: Option<f64>,
    /// Refuse webhooks further than this many seconds in the future (off by default).
    pub max_future_skew_seconds: Option<f64>,
}

/// The wire profile named by `profile` or described by `custom` (the shared
/// `receive::profile_from`).
pub(crate) fn profile_from(
    profile: Option<&str>,
    custom: Option<&NativeCustomProfile>,
) -> napi::Result<core::WireProfile> {
    shared::profile_from(profile, custom.map(CustomProfile::from).as_ref()).map_err(thrown)
}

/// Verifies and decrypts webhook bodies with the keys of a [`Keyring`].
#[napi]
pub struct WebhookReceiver {
    inner: core::WebhookReceiver,
}

#[napi]
impl WebhookReceiver {
    /// A receiver over `keyring` (shared: keys added to it later are used at once).
    #[napi(constructor)]
    pub fn new(keyring: &Keyring, options: Option<NativeReceiverOptions>) -> napi::Result<Self> {
        guard_shared(|| {
            let settings = options.map(|o| ReceiverSettings {
                profile: o.profile,
                custom_profile: o.custom_profile.as_ref().map(CustomProfile::from),
                max_body_bytes: o.max_body_bytes,
                max_age_seconds: o.max_age_seconds,
                max_future_skew_seconds: o.max_future_skew_seconds,
            });
            let opts = shared::receiver_options(settings.as_ref())?;
            Ok(WebhookReceiver {
                inner: core::WebhookReceiver::with_options(keyring.inner.clone(), opts),
            })
        })
    }

    /// This receiver as a plain handle for [`decrypt`] and [`decrypt_string`]: a function
    /// taking a handle is called in less than half the time of a method of this class
    /// (napi-rs checks and registers a class receiver), which counts on small webhooks. It
    /// shares the keyring (keys added later are used at once) and holds the object shapes
    /// met in payloads (the shared tape's `Shapes`).
    #[napi(ts_return_type = "ExternalObject<'ReceiverHandle'>")]
    pub fn handle(&self) -> External<ReceiverHandle> {
        External::new(ReceiverHandle::new(self.inner.clone()))
    }

    /// Largest body accepted, in bytes.
    #[napi(getter)]
    pub fn max_body_bytes(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let max = self.inner.options().max_body_bytes as f64;
        max
    }

    /// The wire profile's name.
    #[napi(getter)]
    pub fn profile_name(&self) -> String {
        self.inner.options().profile.name().to_owned()
    }
}

/// The caller's `Float64Array` the tape is written into (borrowed for the call). An alias:
/// napi-rs takes a `&mut [f64]` argument written as such for a class instance.
type TapeArray<'a> = &'a mut [f64];

/// What [`WebhookReceiver::handle`] gives: the receiver, and the object shapes of the
/// payloads it decrypted (`kompliant_webhooks_js_shared::receive::ReceiverHandle`).
pub use kompliant_webhooks_js_shared::receive::ReceiverHandle;

/// Decrypts one raw body (the exact bytes received, borrowed: no copy) with the receiver of
/// `handle` (`WebhookReceiver.handle()`). `nowMs` replaces the clock for the opt-in time
/// window. The payload is checked by the core as a JSON object while its tape is written
/// ([`crate::tape`]) into `tape` (the caller's, reused across calls). Returns
/// `[latin1, parts, text, wide?, spilled?]`: the tape's Latin-1 strings, the other parts as
/// one string (see [`joined_parts`]), the payload's exact UTF-8 text (a Buffer; or, for a
/// text under 64 KiB, the index in `latin1` from which its bytes follow, one a character),
/// the tape's UTF-16 strings when there are any, and the whole tape when it did not fit
/// `tape`. Each value crossing into JS costs time: the last two are usually absent.
#[napi(
    ts_return_type = "[latin1: string, parts: string, text: Buffer | number, wide?: string, spilled?: Float64Array]"
)]
pub fn decrypt<'e>(
    env: &'e Env,
    #[napi(ts_arg_type = "ExternalObject<'ReceiverHandle'>")] handle: &mut External<ReceiverHandle>,
    body: &[u8],
    tape: TapeArray<'e>,
    now_ms: Option<f64>,
) -> napi::Result<Array<'e>> {
    guard(|| open(env, handle, body, tape, now_ms))
}

/// As [`decrypt`], for a body already held as a string (its UTF-8 bytes are opened).
#[napi(
    ts_return_type = "[latin1: string, parts: string, text: Buffer | number, wide?: string, spilled?: Float64Array]"
)]
pub fn decrypt_string<'e>(
    env: &'e Env,
    #[napi(ts_arg_type = "ExternalObject<'ReceiverHandle'>")] handle: &mut External<ReceiverHandle>,
    body: String,
    tape: TapeArray<'e>,
    now_ms: Option<f64>,
) -> napi::Result<Array<'e>> {
    guard(|| open(env, handle, body.as_bytes(), tape, now_ms))
}

/// The keys of shape `id` of `handle`'s payloads, in order (for the JS layer's compiled
/// object literal).
#[napi]
pub fn shape_keys(
    #[napi(ts_arg_type = "ExternalObject<'ReceiverHandle'>")] handle: &External<ReceiverHandle>,
    id: u32,
) -> napi::Result<Vec<String>> {
    guard_shared(|| handle.shape_keys(id))
}

fn open<'e>(
    env: &'e Env,
    handle: &mut ReceiverHandle,
    body: &[u8],
    tape: &mut [f64],
    now_ms: Option<f64>,
) -> napi::Result<Array<'e>> {
    // In the wasm32 build (emnapi) writes to a JS typed array's memory do not reach JS: there
    // the whole tape comes back as a new array.
    #[cfg(target_family = "wasm")]
    let tape: &mut [f64] = {
        let _ = tape;
        &mut []
    };
    let d = shared::decrypt(handle, body, tape, now_ms).map_err(thrown)?;
    let mut decrypted = env.create_array(3)?;
    decrypted.set(0, latin1_js_string(env, &d.latin1)?)?;
    match &d.text {
        PayloadText::InLatin1(at) => decrypted.set(2, *at)?,
        // Copies, never external buffers: Node runs an external buffer's finalizer only on a
        // later turn of the event loop, so a synchronous loop of decrypts held every payload
        // (measured: 256 KiB payloads grew the process by 250 KB a call); a copy is V8's
        // memory, freed by any collection.
        PayloadText::Bytes(text) => {
            decrypted.set(2, BufferSlice::copy_from(env, text.as_bytes())?)?;
        }
    }
    decrypted.set(1, short_js_string(env, &d.parts)?)?;
    if d.has_wide() {
        decrypted.set(3, env.create_string_utf16(&d.wide)?)?;
    }
    if let Some(spilled) = d.spilled {
        decrypted.set(4, Float64ArraySlice::copy_from(env, spilled)?)?;
    }
    Ok(decrypted)
}

/// The exact payload text of a `decrypt` result, from its UTF-8 `text` (checked by the
/// core), as a JS string made the cheapest way ([`crate::text`]).
#[napi]
pub fn payload_text<'e>(env: &'e Env, text: &[u8]) -> napi::Result<JsString<'e>> {
    guard(|| js_text(env, shared::payload_text(text).map_err(thrown)?))
}
