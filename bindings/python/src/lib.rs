//! Python bindings of kompliant-webhooks.
