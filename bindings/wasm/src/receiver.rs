//! `WebhookReceiver` and the fast receive call (`decrypt`, `decryptString`, `shapeKeys`,
//! `payloadText`), with the napi binding's names and result: the shared
//! `receive::decrypt` writes the payload tape into a buffer in wasm memory, copied into the
//! caller's `Float64Array` when it fits (else returned whole, as napi returns a spilled tape).

use js_sys::{Array, Float64Array, Uint8Array};
use kompliant_webhooks as core;
use kompliant_webhooks_js_shared::receive::{
    self as shared, CustomProfile, PayloadText, ReceiverSettings,
};
use wasm_bindgen::prelude::*;

use crate::error::{thrown, Result};
use crate::js::{self, latin1_string, utf16_string};
use crate::keyring::Keyring;

/// A custom profile object `{ name, tagPosition?, aadFields?, aadSeparator? }`.
pub(crate) fn custom_profile(obj: &JsValue) -> Result<Option<CustomProfile>> {
    let Some(c) = js::field(obj, "customProfile")? else {
        return Ok(None);
    };
    Ok(Some(CustomProfile {
        name: js::required_string(&c, "name")?,
        tag_position: js::string_field(&c, "tagPosition")?,
        aad_fields: js::strings_field(&c, "aadFields")?,
        aad_separator: js::string_field(&c, "aadSeparator")?,
    }))
}

/// The wire profile of an options object's `profile` / `customProfile`.
pub(crate) fn profile_of(obj: &JsValue) -> Result<core::WireProfile> {
    let profile = js::string_field(obj, "profile")?;
    let custom = custom_profile(obj)?;
    shared::profile_from(profile.as_deref(), custom.as_ref()).map_err(thrown)
}

/// Verifies and decrypts webhook bodies with the keys of a [`Keyring`].
#[wasm_bindgen]
pub struct WebhookReceiver {
    inner: core::WebhookReceiver,
}

#[wasm_bindgen]
impl WebhookReceiver {
    /// A receiver over `keyring` (shared: keys added to it later are used at once), with
    /// options `{ profile?, customProfile?, maxBodyBytes?, maxAgeSeconds?,
    /// maxFutureSkewSeconds? }`.
    #[wasm_bindgen(constructor)]
    pub fn new(keyring: &Keyring, options: JsValue) -> Result<WebhookReceiver> {
        let settings = if options.is_undefined() || options.is_null() {
            None
        } else {
            Some(ReceiverSettings {
                profile: js::string_field(&options, "profile")?,
                custom_profile: custom_profile(&options)?,
                max_body_bytes: js::number_field(&options, "maxBodyBytes")?,
                max_age_seconds: js::number_field(&options, "maxAgeSeconds")?,
                max_future_skew_seconds: js::number_field(&options, "maxFutureSkewSeconds")?,
            })
        };
        let opts = shared::receiver_options(settings.as_ref()).map_err(thrown)?;
        Ok(WebhookReceiver {
            inner: core::WebhookReceiver::with_options(keyring.inner.clone(), opts),
        })
    }

    /// This receiver as a plain handle for [`decrypt`] and [`decrypt_string`] (sharing the
    /// keyring), holding the object shapes met in payloads.
    pub fn handle(&self) -> ReceiverHandle {
        ReceiverHandle {
            inner: shared::ReceiverHandle::new(self.inner.clone()),
            scratch: Vec::new(),
        }
    }

    /// Largest body accepted, in bytes.
    #[wasm_bindgen(getter, js_name = maxBodyBytes)]
    pub fn max_body_bytes(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let max = self.inner.options().max_body_bytes as f64;
        max
    }

    /// The wire profile's name.
    #[wasm_bindgen(getter, js_name = profileName)]
    pub fn profile_name(&self) -> String {
        self.inner.options().profile.name().to_owned()
    }
}

/// What [`WebhookReceiver::handle`] gives: the receiver, the object shapes of its payloads,
/// and the buffer its tapes are written into before being copied out.
#[wasm_bindgen]
pub struct ReceiverHandle {
    inner: shared::ReceiverHandle,
    /// Sized to the caller's array on each call (kept: the JS layer reuses its array).
    scratch: Vec<f64>,
}

/// Decrypts one raw body (a `Uint8Array`) with the receiver of `handle`. `nowMs` replaces
/// the clock for the opt-in time window. Returns `[latin1, parts, text, wide?, spilled?]`
/// as the napi binding does: the tape is in `tape` unless `spilled` is present; `text` is an
/// index into `latin1` or, from 64 KiB, a `Uint8Array` (napi: a `Buffer`).
#[wasm_bindgen]
pub fn decrypt(
    handle: &mut ReceiverHandle,
    body: &[u8],
    tape: &Float64Array,
    now_ms: Option<f64>,
) -> Result<Array> {
    open(handle, body, tape, now_ms)
}

/// As [`decrypt`], for a body already held as a string (its UTF-8 bytes are opened).
#[wasm_bindgen(js_name = decryptString)]
pub fn decrypt_string(
    handle: &mut ReceiverHandle,
    body: &str,
    tape: &Float64Array,
    now_ms: Option<f64>,
) -> Result<Array> {
    open(handle, body.as_bytes(), tape, now_ms)
}

/// The keys of shape `id` of `handle`'s payloads, in order.
#[wasm_bindgen(js_name = shapeKeys)]
pub fn shape_keys(handle: &ReceiverHandle, id: u32) -> Result<Array> {
    let keys = handle.inner.shape_keys(id).map_err(thrown)?;
    Ok(js::string_array(&keys))
}

fn open(
    handle: &mut ReceiverHandle,
    body: &[u8],
    tape: &Float64Array,
    now_ms: Option<f64>,
) -> Result<Array> {
    let slots = usize::try_from(tape.length()).unwrap_or(0);
    let scratch = &mut handle.scratch;
    if scratch.len() != slots {
        scratch.clear();
        scratch.resize(slots, 0.0);
    }
    let mut d = shared::decrypt(&mut handle.inner, body, scratch, now_ms).map_err(thrown)?;
    if d.spilled.is_none() {
        // tape[0] is the tape's length: copy only what was written. `copy_from` asserts
        // equal lengths, so they are compared first; should the caller's array not take the
        // tape (never: it has `slots` elements), it comes back whole instead, as a spill.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let used = scratch
            .first()
            .map_or(0, |&n| n as usize)
            .min(scratch.len());
        let written = scratch.get(..used).unwrap_or_default();
        let target = tape.subarray(0, u32::try_from(used).unwrap_or(u32::MAX));
        if usize::try_from(target.length()).ok() == Some(written.len()) {
            target.copy_from(written);
        } else {
            d.spilled = Some(written.to_vec());
        }
    }
    let out = Array::new();
    out.push(&latin1_string(&d.latin1));
    out.push(&JsValue::from_str(&d.parts));
    match &d.text {
        PayloadText::InLatin1(at) => out.push(&JsValue::from(*at)),
        PayloadText::Bytes(text) => out.push(&Uint8Array::from(text.as_bytes()).into()),
    };
    if d.has_wide() {
        out.push(&utf16_string(&d.wide));
    }
    if let Some(spilled) = &d.spilled {
        out.push(&Float64Array::from(spilled.as_slice()).into());
    }
    Ok(out)
}

/// A webhook whose size, envelope and key checked, waiting for the host's AES-GCM (WebCrypto):
/// what [`open_sealed`] gives and [`check_opened`] takes (and frees).
#[wasm_bindgen]
pub struct SealedWebhook {
    inner: core::host_aead::SealedWebhook,
}

#[wasm_bindgen]
impl SealedWebhook {
    /// Unique per key entry in this instance: the host caches its imported key under it.
    #[wasm_bindgen(getter, js_name = keyGeneration)]
    pub fn key_generation(&self) -> f64 {
        // Generations count key entries from 1: far below 2^53.
        #[allow(clippy::cast_precision_loss)]
        let generation = self.inner.key_generation() as f64;
        generation
    }

    /// A copy of the key's secret, for `crypto.subtle.importKey` once per generation: the
    /// caller wipes it (`fill(0)`) as soon as the import has taken it.
    #[wasm_bindgen(js_name = keyBytes)]
    pub fn key_bytes(&self) -> Uint8Array {
        Uint8Array::from(self.inner.key_bytes().as_slice())
    }

    /// Where `nonce || ciphertext || tag` (the 128-bit tag last, as `crypto.subtle.decrypt`
    /// takes it) starts in this module's memory ([`wasm_memory`]): [`SealedWebhook::data_length`]
    /// bytes, the first [`SealedWebhook::iv_length`] of them the IV. The host reads them
    /// through a view, with no copy out of WebAssembly: each `ArrayBuffer` made for it would
    /// cost 0.4-1 µs in V8 (workerd, Deno), as much as the core's envelope checks at 1 KiB
    /// (docs/decided.md, "AES-GCM on the edge"). The bytes are this webhook's own and stay
    /// put until it is consumed ([`check_opened`]) or freed, while WebCrypto works.
    #[wasm_bindgen(getter, js_name = dataAt)]
    pub fn data_at(&self) -> u32 {
        address(self.inner.nonce_ciphertext_and_tag())
    }

    /// How many bytes at [`SealedWebhook::data_at`]: IV, ciphertext and tag.
    #[wasm_bindgen(getter, js_name = dataLength)]
    pub fn data_length(&self) -> u32 {
        length(self.inner.nonce_ciphertext_and_tag())
    }

    /// How many bytes at the start of the data are the IV (the core's nonce length: read
    /// here, not written again in JavaScript).
    #[wasm_bindgen(getter, js_name = ivLength)]
    pub fn iv_length(&self) -> u32 {
        length(self.inner.nonce())
    }

    /// Where the additional data starts in this module's memory, as [`SealedWebhook::data_at`].
    #[wasm_bindgen(getter, js_name = aadAt)]
    pub fn aad_at(&self) -> u32 {
        address(self.inner.aad())
    }

    /// How many bytes of additional data at [`SealedWebhook::aad_at`].
    #[wasm_bindgen(getter, js_name = aadLength)]
    pub fn aad_length(&self) -> u32 {
        length(self.inner.aad())
    }
}

/// This module's memory (a `WebAssembly.Memory`, the one wasm-bindgen's glue reads; the
/// package's entry does not export it): where [`SealedWebhook::data_at`] and
/// [`SealedWebhook::aad_at`] point. Its `buffer` changes when the memory grows: read it after
/// the last call into the module, just before making the views.
#[wasm_bindgen(js_name = wasmMemory)]
#[must_use]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// The address of `bytes` in this module's memory (wasm32: addresses are 32 bits).
fn address(bytes: &[u8]) -> u32 {
    u32::try_from(bytes.as_ptr().addr()).unwrap_or(u32::MAX)
}

/// The length of `bytes`: parts of a body the receiver accepted (at most its max_body_bytes,
/// far below 4 GiB).
fn length(bytes: &[u8]) -> u32 {
    u32::try_from(bytes.len()).unwrap_or(u32::MAX)
}

/// Every check of [`decrypt`] up to AES-GCM, for a host that runs AES-GCM itself.
#[wasm_bindgen(js_name = openSealed)]
pub fn open_sealed(
    handle: &ReceiverHandle,
    body: &[u8],
    now_ms: Option<f64>,
) -> Result<SealedWebhook> {
    let inner = shared::open_sealed(&handle.inner, body, now_ms).map_err(thrown)?;
    Ok(SealedWebhook { inner })
}

/// As [`open_sealed`], for a body held as a string (its UTF-8 bytes are opened).
#[wasm_bindgen(js_name = openSealedString)]
pub fn open_sealed_string(
    handle: &ReceiverHandle,
    body: &str,
    now_ms: Option<f64>,
) -> Result<SealedWebhook> {
    open_sealed(handle, body.as_bytes(), now_ms)
}

/// The rest of [`decrypt`] for `sealed` (consumed) after the host's AES-GCM: `plaintext`, or
/// `undefined` when the host refused the tag. The core checks the plaintext as `decrypt` does
/// without building the payload (the host parses the checked text); returns the parts string
/// of a `decrypt` result.
#[wasm_bindgen(js_name = checkOpened)]
pub fn check_opened(sealed: SealedWebhook, plaintext: Option<Vec<u8>>) -> Result<String> {
    shared::check_opened(sealed.inner, plaintext).map_err(thrown)
}

/// The exact payload text of a `decrypt` result, from its UTF-8 `text`.
#[wasm_bindgen(js_name = payloadText)]
pub fn payload_text(text: &[u8]) -> Result<String> {
    shared::payload_utf8(text)
        .map(str::to_owned)
        .map_err(thrown)
}
