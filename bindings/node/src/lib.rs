//! Node bindings of kompliant-webhooks.
