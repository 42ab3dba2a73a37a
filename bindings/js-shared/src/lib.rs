//! What the two JavaScript bindings of kompliant-webhooks share: the Node one (napi-rs,
//! `bindings/node`) and the WebAssembly one for edge runtimes (wasm-bindgen, `bindings/wasm`).
//! Both are called by the same JS layer (`node/lib/*.js`), so everything that decides what
//! that layer receives lives here once: the payload tape ([`tape`]), the text forms
//! ([`text`]), the error encoding ([`error`]), the receive call ([`receive`]), the guard
//! steps ([`guard`]) and the typed event views ([`event`]). Pure Rust, no binding types: the
//! bindings only turn these values into JS values.

pub mod error;
pub mod event;
pub mod guard;
pub mod receive;
pub mod tape;
pub mod text;

/// The names of the built-in wire profiles (the first is the default).
pub fn profile_names() -> Vec<String> {
    kompliant_webhooks::WireProfile::BUILT_IN_NAMES
        .iter()
        .map(|n| (*n).to_owned())
        .collect()
}
