//! Service discovery: providers of target groups and the manager that feeds them to scraping.
#![deny(missing_docs)]
