//! The JVM's decrypt fast path: one JNI call per `WebhookReceiver.decrypt` (the body in, one
//! byte array out), beside UniFFI, which carries everything else. Kotlin calls it from
//! `WebhookReceiver.kt` through `NativeDecrypt.kt`. The answer is a status byte, then either
//! the buffer a UniFFI `Webhook` crosses as (`webhook::to_wire`) or the UniFFI-serialised
//! `KompliantError`, which the generated Kotlin reads: errors keep their types and codes.
//! Why JNI: UniFFI's JNA calls cost tens of microseconds per decrypt (docs/decided.md).
//!
//! JNI needs raw pointers, so this module alone allows `unsafe`; each block says why it holds.
#![allow(unsafe_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};

use jni_sys::{jbyte, jbyteArray, jclass, jlong, jsize, JNIEnv};

use crate::error::KompliantError;
use crate::receiver::WebhookReceiver;
use crate::webhook::wire_parts;

/// First byte of an answer: a webhook (the `to_wire` buffer) follows.
const WEBHOOK: u8 = 0;
/// First byte of an answer: a UniFFI-serialised `KompliantError` follows.
const ERROR: u8 = 1;

/// `NativeDecrypt.decrypt(receiver, body)`: decrypts `body` with the `WebhookReceiver` whose
/// UniFFI handle is `receiver`. Returns null only with a Java exception pending (out of memory).
///
/// # Safety
///
/// `env` is the calling thread's JNI environment, `body` a live `byte[]` (or null), and
/// `receiver` the handle of a `WebhookReceiver` that the Kotlin caller keeps alive for the whole
/// call (`WebhookReceiver.kt` holds a call count, as UniFFI's own methods do).
#[no_mangle]
pub unsafe extern "system" fn Java_com_kompliant_webhooks_NativeDecrypt_decrypt(
    env: *mut JNIEnv,
    _class: jclass,
    receiver: jlong,
    body: jbyteArray,
) -> jbyteArray {
    // SAFETY: the caller's contract above.
    let Some(body) = (unsafe { read_byte_array(env, body) }) else {
        return std::ptr::null_mut();
    };
    let answer = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: a UniFFI object handle is `Arc::into_raw` of the object (uniffi_core's
        // `Handle::from_arc`), and the caller keeps that Arc alive during the call.
        let receiver = unsafe { &*(receiver as usize as *const WebhookReceiver) };
        match receiver.0.decrypt(&body) {
            Ok(webhook) => {
                let (head, payload) = wire_parts(webhook);
                (vec![WEBHOOK], head, payload.into_bytes())
            }
            Err(e) => (error_answer(e.into()), Vec::new(), Vec::new()),
        }
    }))
    .unwrap_or_else(|_| {
        let error = KompliantError::internal("the decrypt panicked");
        (error_answer(error), Vec::new(), Vec::new())
    });
    // SAFETY: `env` is the calling thread's environment.
    unsafe { new_byte_array(env, &[&answer.0, &answer.1, &answer.2]) }
}

/// The answer for an error: the status byte, then the error as UniFFI serialises it.
fn error_answer(error: KompliantError) -> Vec<u8> {
    let mut answer = vec![ERROR];
    <KompliantError as uniffi::Lower<crate::UniFfiTag>>::write(error, &mut answer);
    answer
}

/// A copy of a Java `byte[]` (null reads as empty); `None` if the JVM raised an exception.
///
/// # Safety
///
/// `env` is the calling thread's JNI environment and `array` a live `byte[]` or null.
unsafe fn read_byte_array(env: *mut JNIEnv, array: jbyteArray) -> Option<Vec<u8>> {
    if array.is_null() {
        return Some(Vec::new());
    }
    // SAFETY: the caller's contract; every JVM since 1.2 has these tables.
    unsafe {
        let functions = &(**env).v1_1;
        let len = (functions.GetArrayLength)(env, array);
        let mut bytes = Vec::<u8>::with_capacity(usize::try_from(len).unwrap_or(0));
        (functions.GetByteArrayRegion)(env, array, 0, len, bytes.as_mut_ptr().cast::<jbyte>());
        if ((**env).v1_2.ExceptionCheck)(env) {
            return None;
        }
        // GetByteArrayRegion wrote all `len` bytes (no exception was raised).
        bytes.set_len(usize::try_from(len).unwrap_or(0));
        Some(bytes)
    }
}

/// A new Java `byte[]` holding `parts` one after the other (each copied once, straight into
/// the array), or null with an exception pending.
///
/// # Safety
///
/// `env` is the calling thread's JNI environment.
unsafe fn new_byte_array(env: *mut JNIEnv, parts: &[&[u8]]) -> jbyteArray {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let Ok(len) = jsize::try_from(total) else {
        // Over 2 GiB: no Java array can hold it; report it as the error it is.
        let answer = error_answer(KompliantError::internal(
            "the webhook is too large for a Java byte[]",
        ));
        // SAFETY: the caller's contract (the error answer is a few bytes).
        return unsafe { new_byte_array(env, &[&answer]) };
    };
    // SAFETY: the caller's contract; every JVM since 1.2 has this table. Each region lies
    // within the array: the offsets sum the parts' lengths, which fit in `len`.
    unsafe {
        let functions = &(**env).v1_1;
        let array = (functions.NewByteArray)(env, len);
        if array.is_null() {
            return array;
        }
        let mut at: jsize = 0;
        for part in parts {
            let part_len = part.len() as jsize;
            (functions.SetByteArrayRegion)(env, array, at, part_len, part.as_ptr().cast::<jbyte>());
            at += part_len;
        }
        array
    }
}
