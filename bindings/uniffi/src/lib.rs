//! Kotlin and Swift bindings of kompliant-webhooks.
