//! The Kompliant API client (webhook keys, webhook endpoint configurations, versions).
