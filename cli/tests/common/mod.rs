//! What the CLI tests share about secrets: every spelling of a secret a leak could show, and
//! the checks that an output holds none of them (the one place these are defined).

// Test code: a panic is a failed test. Each test crate uses part of this module.
#![allow(dead_code, clippy::panic, clippy::indexing_slicing)]

pub mod background;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;

/// Shortest piece of a spelling that counts as a leak (a truncated quote still leaks).
pub const WINDOW: usize = 16;

/// 32 secret bytes: a readable tag (a latin-1 or escaped leak is obvious) padded with high
/// bytes (so standard and URL-safe base64 differ).
pub fn distinctive(tag: &[u8]) -> Vec<u8> {
    assert!(tag.len() <= 24);
    let mut raw = tag.to_vec();
    raw.extend(
        (0u8..)
            .map(|i| 0xf0u8.wrapping_add(i) | 0x80)
            .take(32 - tag.len()),
    );
    raw
}

/// Every spelling of the secret bytes `raw`: latin-1 text, standard base64 with and without
/// padding, URL-safe base64 with and without padding, hex in lower and upper case.
pub fn forms(raw: &[u8]) -> Vec<(&'static str, String)> {
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        ("latin-1", raw.iter().map(|&b| char::from(b)).collect()),
        ("base64", STANDARD.encode(raw)),
        ("base64 unpadded", STANDARD_NO_PAD.encode(raw)),
        ("url-safe base64", URL_SAFE.encode(raw)),
        ("url-safe base64 unpadded", URL_SAFE_NO_PAD.encode(raw)),
        ("HEX", hex.to_uppercase()),
        ("hex", hex),
    ]
}

/// A text credential (an auth token, a secret that is not valid base64): the text itself and
/// every spelling of its bytes.
pub fn text_forms(text: &str) -> Vec<(&'static str, String)> {
    let mut out = vec![("text", text.to_owned())];
    out.extend(forms(text.as_bytes()));
    out
}

/// The secret bytes of a base64 secret (as keyring files and `keys create` hold them).
pub fn raw_of(secret_base64: &str) -> Vec<u8> {
    STANDARD
        .decode(secret_base64.trim())
        .unwrap_or_else(|e| panic!("not base64: {e}"))
}

/// The labels of the spellings of `raw` found in `text`, whole or as a WINDOW-long piece.
pub fn leaks_of(text: &str, spellings: &[(&'static str, String)]) -> Vec<&'static str> {
    spellings
        .iter()
        .filter(|(_, form)| {
            let chars: Vec<char> = form.chars().collect();
            let width = WINDOW.min(chars.len());
            chars
                .windows(width)
                .any(|w| text.contains(&w.iter().collect::<String>()))
        })
        .map(|(label, _)| *label)
        .collect()
}

/// Fails unless `text` (named `what`) holds no spelling of any of the secret bytes `secrets`.
pub fn assert_no_secret(what: &str, text: &str, secrets: &[Vec<u8>]) {
    assert!(!secrets.is_empty(), "{what}: nothing to look for");
    for (i, raw) in secrets.iter().enumerate() {
        let found = leaks_of(text, &forms(raw));
        assert!(
            found.is_empty(),
            "{what} shows secret #{i} as {found:?}:\n{text}"
        );
    }
}

/// Fails if `text` holds anything shaped like a 32-byte secret: a run of 43 or more base64
/// characters, or of 64 or more hex digits (for secrets the test cannot know, such as a key
/// created and lost in a failed command).
pub fn assert_nothing_secret_shaped(what: &str, text: &str) {
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || "+/=_-".contains(c) {
            run.push(c);
            continue;
        }
        assert!(
            run.len() < 43,
            "{what} holds a secret-shaped run {run:?}:\n{text}"
        );
        run.clear();
    }
}

#[test]
fn the_checks_find_every_spelling_of_a_secret() {
    // Without this, checks that never match would make every secret test pass.
    let raw = distinctive(b"KW-CLI-SECRET-A~>?");
    let spelled = forms(&raw);
    assert_ne!(spelled[1].1, spelled[3].1, "URL-safe base64 differs");
    for (label, form) in &spelled {
        let text = format!("error: X: quoted {form} here");
        assert!(leaks_of(&text, &spelled).contains(label), "{label}");
        let piece: String = form.chars().skip(3).take(WINDOW).collect();
        assert!(
            !leaks_of(&format!("cut {piece}…"), &spelled).is_empty(),
            "{label} piece"
        );
        let planted = std::panic::catch_unwind(|| {
            assert_no_secret("planted", &text, std::slice::from_ref(&raw))
        });
        assert!(planted.is_err(), "{label}: assert_no_secret missed it");
        if *label != "latin-1" {
            let shaped =
                std::panic::catch_unwind(|| assert_nothing_secret_shaped("planted", &text));
            assert!(shaped.is_err(), "{label}: not seen as secret-shaped");
        }
    }
    assert!(leaks_of("created whk_20261127_01 (INACTIVE)", &spelled).is_empty());
    assert_nothing_secret_shaped(
        "clean",
        "created whk_20261127_01 (INACTIVE); secret written to /tmp/x/keys.json",
    );
}
