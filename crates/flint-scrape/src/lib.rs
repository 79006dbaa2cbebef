//! Scraping: one pool per job, one loop per target, appending through the storage contract.
#![deny(missing_docs)]
