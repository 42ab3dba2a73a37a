//! Wire profiles: which envelope layout a receiver expects ([`WireProfile`]), built in or
//! made of names.

use std::fmt;
use std::sync::Arc;

use kompliant_webhooks as core;

use crate::error::KompliantError;

/// The core profile of `profile` (`None` = the default profile).
pub(crate) fn profile_or_default(profile: Option<&WireProfile>) -> core::WireProfile {
    profile.map(|p| p.0.clone()).unwrap_or_default()
}

/// The names of the built-in wire profiles (`WireProfile.named`).
#[uniffi::export]
pub fn built_in_wire_profiles() -> Vec<String> {
    core::WireProfile::BUILT_IN_NAMES
        .iter()
        .map(|n| (*n).to_owned())
        .collect()
}

/// A wire profile: how `data` is laid out (where the GCM tag sits) and which metadata fields
/// are authenticated as AAD. Receivers (`ReceiverOptions.profile`) and `sealWebhook` take one.
/// Immutable; two profiles are equal when every setting is. `toString()` / `description`
/// shows the settings (a profile holds no secret).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Object)]
#[uniffi::export(Display, Eq, Hash)]
pub struct WireProfile(pub(crate) core::WireProfile);

#[uniffi::export]
impl WireProfile {
    /// A built-in profile by name: `kompliant-2025-11-21` (the default) or
    /// `kompliant-2025-11-21-no-aad` (see `builtInWireProfiles()`). Throws
    /// `INVALID_CONFIGURATION` for any other name.
    #[uniffi::constructor]
    pub fn named(name: String) -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(WireProfile(core::WireProfile::named(&name)?)))
    }

    /// A profile of your own, e.g. if Kompliant's real layout turns out different from the
    /// documented one:
    ///
    /// - `tagPosition`: `"after_ciphertext"` (default: nonce, ciphertext, tag) or
    ///   `"before_ciphertext"` (nonce, tag, ciphertext);
    /// - `aadFields`: the authenticated metadata fields in order, among `id`, `event_type`,
    ///   `timestamp`, `account_id`, `schema_version`, `key_id` (absent: those six, in that
    ///   order; empty: no AAD, the metadata is not authenticated);
    /// - `separator`: joins the fields' values (default `|`; never empty).
    ///
    /// Throws `INVALID_CONFIGURATION` naming the unknown tag position or field, or an empty
    /// separator.
    #[uniffi::constructor(default(tag_position = None, aad_fields = None, separator = None))]
    pub fn from_names(
        name: String,
        tag_position: Option<String>,
        aad_fields: Option<Vec<String>>,
        separator: Option<String>,
    ) -> Result<Arc<Self>, KompliantError> {
        Ok(Arc::new(WireProfile(core::WireProfile::from_names(
            &name,
            tag_position.as_deref(),
            aad_fields.as_deref(),
            separator.as_deref(),
        )?)))
    }

    /// The profile's name (e.g. `kompliant-2025-11-21`).
    pub fn name(&self) -> String {
        self.0.name().to_owned()
    }

    /// Where the GCM tag sits: `"after_ciphertext"` or `"before_ciphertext"`.
    pub fn tag_position(&self) -> String {
        self.0.tag_position().name().to_owned()
    }

    /// The authenticated metadata fields, in AAD order (empty: no AAD).
    pub fn aad_fields(&self) -> Vec<String> {
        match self.0.aad() {
            core::Aad::Fields { fields, .. } => {
                fields.iter().map(|f| f.name().to_owned()).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The separator between the AAD fields' values (absent when there is no AAD).
    pub fn separator(&self) -> Option<String> {
        match self.0.aad() {
            core::Aad::Fields { separator, .. } => Some(separator.clone()),
            _ => None,
        }
    }
}

impl std::hash::Hash for WireProfile {
    /// Hashes what `==` compares: the name, the tag position and the AAD.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name().hash(state);
        self.tag_position().hash(state);
        self.aad_fields().hash(state);
        self.separator().hash(state);
    }
}

impl fmt::Display for WireProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "WireProfile({}, tag {}, aad ",
            self.0.name(),
            self.0.tag_position().name()
        )?;
        match self.separator() {
            Some(separator) => write!(f, "{:?})", self.aad_fields().join(&separator)),
            None => f.write_str("none)"),
        }
    }
}
