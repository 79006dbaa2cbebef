//! The Alertmanager: API v2, dispatcher, inhibition, silences, notification log, integrations.
#![deny(missing_docs)]
