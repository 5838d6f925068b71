//! The permission scope names SFMC puts in a token's `scope` (and `/v2/userinfo`'s `appScopes`).
//!
//! Source: `context/sfmc-api-research.md` §2.2 — the scope string of real token responses, plus
//! the `contact_bu_mapping_*` scopes from sfmc-sdk's whitelist and `openid` from `/v2/userinfo`.
//! Salesforce keeps adding scopes, so an unknown name is only ever a warning (a likely typo),
//! never a reason to reject an inventory or a token.

/// Every scope name credwatch knows, in the order SFMC lists them in a token response.
pub const KNOWN_SCOPES: &[&str] = &[
    // The scope string of a real token response (mcdev test fixture).
    "offline",
    "documents_and_images_read",
    "documents_and_images_write",
    "saved_content_read",
    "saved_content_write",
    "automations_execute",
    "automations_read",
    "automations_write",
    "journeys_execute",
    "journeys_read",
    "journeys_write",
    "email_read",
    "email_send",
    "email_write",
    "push_read",
    "push_send",
    "push_write",
    "sms_read",
    "sms_send",
    "sms_write",
    "social_post",
    "social_publish",
    "social_read",
    "social_write",
    "web_publish",
    "web_read",
    "web_write",
    "audiences_read",
    "audiences_write",
    "list_and_subscribers_read",
    "list_and_subscribers_write",
    "data_extensions_read",
    "data_extensions_write",
    "file_locations_read",
    "file_locations_write",
    "tracking_events_read",
    "calendar_read",
    "calendar_write",
    "campaign_read",
    "campaign_write",
    "accounts_read",
    "accounts_write",
    "users_read",
    "users_write",
    "webhooks_read",
    "webhooks_write",
    "workflows_write",
    "approvals_write",
    "tags_write",
    "approvals_read",
    "tags_read",
    "workflows_read",
    "ott_chat_messaging_read",
    "ott_chat_messaging_send",
    "ott_channels_read",
    "ott_channels_write",
    "marketing_cloud_connect_read",
    "marketing_cloud_connect_write",
    "marketing_cloud_connect_send",
    "event_notification_callback_create",
    "event_notification_callback_read",
    "event_notification_callback_update",
    "event_notification_callback_delete",
    "event_notification_subscription_create",
    "event_notification_subscription_read",
    "event_notification_subscription_update",
    "event_notification_subscription_delete",
    "tracking_events_write",
    "key_manage_view",
    "key_manage_rotate",
    "key_manage_revoke",
    "dfu_configure",
    "journeys_aspr",
    "journeys_delete",
    "package_manager_package",
    "package_manager_deploy",
    "deep_linking_asset_read",
    "deep_linking_asset_write",
    "deep_linking_asset_delete",
    "deep_linking_settings_read",
    "deep_linking_settings_write",
    // sfmc-sdk's whitelist adds these.
    "contact_bu_mapping_create",
    "contact_bu_mapping_delete",
    "contact_bu_mapping_update",
    "contact_bu_mapping_view",
    // Returned by /v2/userinfo in appScopes.
    "openid",
];

/// Whether `scope` is one of [`KNOWN_SCOPES`] (exact, case-sensitive: SFMC's names are lowercase).
pub fn is_known_scope(scope: &str) -> bool {
    KNOWN_SCOPES.contains(&scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_common_scopes_and_nothing_made_up() {
        for scope in [
            "data_extensions_read",
            "email_send",
            "contact_bu_mapping_view",
            "openid",
            "offline",
        ] {
            assert!(is_known_scope(scope), "{scope}");
        }
        for scope in ["", "data_extension_read", "Email_Read", "email_read "] {
            assert!(!is_known_scope(scope), "{scope:?}");
        }
    }

    #[test]
    fn has_no_duplicates_and_all_are_lowercase_identifiers() {
        let mut seen = std::collections::HashSet::new();
        for scope in KNOWN_SCOPES {
            assert!(seen.insert(scope), "duplicate {scope}");
            assert!(
                scope.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{scope}"
            );
        }
        assert_eq!(KNOWN_SCOPES.len(), 86);
    }
}
