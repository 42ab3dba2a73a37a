//! The wire profile: how `data` is laid out and which metadata is authenticated (spec §2).
//! One value describes it, so a receiver switches profile by configuration, not by release.

use std::borrow::Cow;

use crate::decided::{AAD_SEPARATOR, NONCE_LEN, PROFILE_NAME, PROFILE_NAME_NO_AAD, TAG_LEN};
use crate::envelope::WebhookMetadata;
use crate::error::WebhookError;

/// One of the six authenticated metadata fields of an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetadataField {
    /// `id`
    Id,
    /// `event_type`
    EventType,
    /// `timestamp`
    Timestamp,
    /// `account_id`
    AccountId,
    /// `schema_version`
    SchemaVersion,
    /// `key_id`
    KeyId,
}

impl MetadataField {
    /// The six fields in the documented AAD order.
    pub const ALL: [MetadataField; 6] = [
        MetadataField::Id,
        MetadataField::EventType,
        MetadataField::Timestamp,
        MetadataField::AccountId,
        MetadataField::SchemaVersion,
        MetadataField::KeyId,
    ];

    /// The field's name in the envelope JSON.
    pub const fn name(self) -> &'static str {
        match self {
            MetadataField::Id => "id",
            MetadataField::EventType => "event_type",
            MetadataField::Timestamp => "timestamp",
            MetadataField::AccountId => "account_id",
            MetadataField::SchemaVersion => "schema_version",
            MetadataField::KeyId => "key_id",
        }
    }

    /// The field named `name` (`"id"`, `"event_type"`, …), if any.
    pub fn from_name(name: &str) -> Option<MetadataField> {
        MetadataField::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The field's value in `metadata`.
    pub fn value(self, metadata: &WebhookMetadata) -> &str {
        match self {
            MetadataField::Id => &metadata.id,
            MetadataField::EventType => &metadata.event_type,
            MetadataField::Timestamp => &metadata.timestamp,
            MetadataField::AccountId => &metadata.account_id,
            MetadataField::SchemaVersion => &metadata.schema_version,
            MetadataField::KeyId => &metadata.key_id,
        }
    }
}

/// Where the 16-byte GCM tag sits in the decoded `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagPosition {
    /// `nonce || ciphertext || tag` (the `kompliant-2025-11-21` layout).
    AfterCiphertext,
    /// `nonce || tag || ciphertext`.
    BeforeCiphertext,
}

impl TagPosition {
    /// The position's name in configuration: `"after_ciphertext"` or `"before_ciphertext"`.
    pub const fn name(self) -> &'static str {
        match self {
            TagPosition::AfterCiphertext => "after_ciphertext",
            TagPosition::BeforeCiphertext => "before_ciphertext",
        }
    }

    /// The position named `name` (see [`TagPosition::name`]), if any.
    pub fn from_name(name: &str) -> Option<TagPosition> {
        [TagPosition::AfterCiphertext, TagPosition::BeforeCiphertext]
            .into_iter()
            .find(|p| p.name() == name)
    }
}

/// Which additional authenticated data binds the metadata to the ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Aad {
    /// No AAD: the metadata is not authenticated.
    None,
    /// The UTF-8 values of `fields`, in order, joined with `separator`.
    Fields {
        /// The fields, in order.
        fields: Vec<MetadataField>,
        /// The separator between them.
        separator: String,
    },
}

/// A complete description of the encryption layout. Receivers and sealing take one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireProfile {
    name: Cow<'static, str>,
    tag_position: TagPosition,
    aad: Aad,
}

impl Default for WireProfile {
    fn default() -> Self {
        WireProfile::kompliant_2025_11_21()
    }
}

impl WireProfile {
    /// `kompliant-2025-11-21`: `data` = base64(nonce(12) || ciphertext || tag(16)), AAD =
    /// `id|event_type|timestamp|account_id|schema_version|key_id`. The default.
    pub fn kompliant_2025_11_21() -> Self {
        WireProfile {
            name: Cow::Borrowed(PROFILE_NAME),
            tag_position: TagPosition::AfterCiphertext,
            aad: Aad::Fields {
                fields: MetadataField::ALL.to_vec(),
                separator: AAD_SEPARATOR.to_owned(),
            },
        }
    }

    /// The same layout with no AAD (for a sender that does not authenticate metadata).
    pub fn kompliant_2025_11_21_no_aad() -> Self {
        WireProfile {
            name: Cow::Borrowed(PROFILE_NAME_NO_AAD),
            tag_position: TagPosition::AfterCiphertext,
            aad: Aad::None,
        }
    }

    /// A profile of your own (e.g. if Kompliant's real AAD turns out different).
    pub fn custom(name: impl Into<String>, tag_position: TagPosition, aad: Aad) -> Self {
        WireProfile {
            name: Cow::Owned(name.into()),
            tag_position,
            aad,
        }
    }

    /// A profile of your own from configuration values, as every binding builds one:
    /// `tag_position` `"after_ciphertext"` (default) or `"before_ciphertext"`; `aad_fields`
    /// the authenticated metadata field names in order (`None`: the documented six; empty:
    /// no AAD); `separator` between them (default `|`; never empty, which would make the AAD
    /// ambiguous).
    ///
    /// # Errors
    /// `INVALID_CONFIGURATION` naming the unknown tag position or field, or an empty separator.
    pub fn from_names<S: AsRef<str>>(
        name: &str,
        tag_position: Option<&str>,
        aad_fields: Option<&[S]>,
        separator: Option<&str>,
    ) -> Result<WireProfile, WebhookError> {
        let invalid = |detail: String| WebhookError::InvalidConfiguration { detail };
        let tag_position = match tag_position {
            None => TagPosition::AfterCiphertext,
            Some(p) => TagPosition::from_name(p).ok_or_else(|| {
                invalid(format!(
                    "tag position {p:?} is not \"after_ciphertext\" or \"before_ciphertext\""
                ))
            })?,
        };
        let fields = match aad_fields {
            None => MetadataField::ALL.to_vec(),
            Some(names) => names
                .iter()
                .map(|n| {
                    MetadataField::from_name(n.as_ref()).ok_or_else(|| {
                        invalid(format!(
                            "AAD field {:?} is not one of {}",
                            n.as_ref(),
                            MetadataField::ALL.map(MetadataField::name).join(", ")
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let separator = separator.unwrap_or(AAD_SEPARATOR);
        if separator.is_empty() && !fields.is_empty() {
            return Err(invalid("the AAD separator must not be empty".into()));
        }
        let aad = if fields.is_empty() {
            Aad::None
        } else {
            Aad::Fields {
                fields,
                separator: separator.to_owned(),
            }
        };
        Ok(WireProfile::custom(name, tag_position, aad))
    }

    /// A built-in profile by name, or `INVALID_CONFIGURATION` listing the known names.
    ///
    /// # Errors
    /// `INVALID_CONFIGURATION` for an unknown name.
    pub fn named(name: &str) -> Result<WireProfile, WebhookError> {
        WireProfile::by_name(name).ok_or_else(|| WebhookError::InvalidConfiguration {
            detail: format!(
                "unknown wire profile {name:?} (built in: {})",
                WireProfile::BUILT_IN_NAMES.join(", ")
            ),
        })
    }

    /// A built-in profile by name: `kompliant-2025-11-21` or `kompliant-2025-11-21-no-aad`.
    pub fn by_name(name: &str) -> Option<Self> {
        match name {
            PROFILE_NAME => Some(WireProfile::kompliant_2025_11_21()),
            PROFILE_NAME_NO_AAD => Some(WireProfile::kompliant_2025_11_21_no_aad()),
            _ => None,
        }
    }

    /// The names [`WireProfile::by_name`] knows.
    pub const BUILT_IN_NAMES: [&'static str; 2] = [PROFILE_NAME, PROFILE_NAME_NO_AAD];

    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Nonce length in bytes (always 12: AES-GCM's standard 96-bit nonce).
    pub const fn nonce_len(&self) -> usize {
        NONCE_LEN
    }

    /// Tag length in bytes (always 16).
    pub const fn tag_len(&self) -> usize {
        TAG_LEN
    }

    /// Where the tag sits.
    pub fn tag_position(&self) -> TagPosition {
        self.tag_position
    }

    /// The AAD construction.
    pub fn aad(&self) -> &Aad {
        &self.aad
    }

    /// The AAD bytes for `metadata` under this profile.
    ///
    /// # Errors
    /// `MALFORMED_ENVELOPE` if an authenticated field contains the separator (decided):
    /// `a|b` + `c` and `a` + `b|c` join to the same AAD, so such a field would let text move
    /// between fields without breaking the tag.
    pub fn aad_bytes(&self, metadata: &WebhookMetadata) -> Result<Vec<u8>, WebhookError> {
        match &self.aad {
            Aad::None => Ok(Vec::new()),
            Aad::Fields { fields, separator } => {
                if let Some(field) = fields.iter().find(|f| {
                    !separator.is_empty() && f.value(metadata).contains(separator.as_str())
                }) {
                    return Err(WebhookError::malformed(format!(
                        "field `{}` contains the AAD separator {separator:?}",
                        field.name()
                    )));
                }
                let len = fields
                    .iter()
                    .map(|f| f.value(metadata).len() + separator.len())
                    .sum();
                let mut aad = Vec::with_capacity(len);
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        aad.extend_from_slice(separator.as_bytes());
                    }
                    aad.extend_from_slice(field.value(metadata).as_bytes());
                }
                Ok(aad)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> WebhookMetadata {
        WebhookMetadata {
            id: "wh_1".into(),
            event_type: "WORKFLOW_CREATED".into(),
            timestamp: "2025-11-21T14:30:22.123Z".into(),
            account_id: "sb_1".into(),
            schema_version: "2025-11-21".into(),
            key_id: "whk_20251021_01".into(),
        }
    }

    #[test]
    fn default_aad_is_the_six_fields_joined_by_pipes() {
        let aad = WireProfile::default().aad_bytes(&metadata()).unwrap();
        assert_eq!(
            aad,
            b"wh_1|WORKFLOW_CREATED|2025-11-21T14:30:22.123Z|sb_1|2025-11-21|whk_20251021_01"
        );
    }

    #[test]
    fn no_aad_profile_has_empty_aad() {
        assert!(WireProfile::kompliant_2025_11_21_no_aad()
            .aad_bytes(&metadata())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_field_holding_the_separator_is_refused() {
        let mut m = metadata();
        m.event_type = "WORKFLOW|CREATED".into();
        let err = WireProfile::default().aad_bytes(&m).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::MalformedEnvelope);
        assert!(err.to_string().contains("event_type"));
        assert!(WireProfile::kompliant_2025_11_21_no_aad()
            .aad_bytes(&m)
            .is_ok());
    }

    #[test]
    fn profiles_from_configuration_names() {
        let p = WireProfile::from_names::<&str>("x", None, None, None).unwrap();
        assert_eq!(p.aad(), WireProfile::default().aad());
        assert_eq!(p.tag_position(), TagPosition::AfterCiphertext);
        let none = WireProfile::from_names::<&str>("x", Some("before_ciphertext"), Some(&[]), None)
            .unwrap();
        assert_eq!(none.aad(), &Aad::None);
        assert_eq!(none.tag_position(), TagPosition::BeforeCiphertext);
        let two = WireProfile::from_names("x", None, Some(&["id", "key_id"]), Some(";")).unwrap();
        assert_eq!(two.aad_bytes(&metadata()).unwrap(), b"wh_1;whk_20251021_01");
        for bad in [
            WireProfile::from_names::<&str>("x", Some("middle"), None, None),
            WireProfile::from_names("x", None, Some(&["nope"]), None),
            WireProfile::from_names::<&str>("x", None, None, Some("")),
            WireProfile::named("nope"),
        ] {
            assert_eq!(
                bad.unwrap_err().code(),
                crate::ErrorCode::InvalidConfiguration
            );
        }
    }

    #[test]
    fn built_in_profiles_are_found_by_name() {
        for name in WireProfile::BUILT_IN_NAMES {
            assert_eq!(
                WireProfile::by_name(name).map(|p| p.name().to_owned()),
                Some(name.to_owned())
            );
        }
        assert!(WireProfile::by_name("nope").is_none());
    }
}
