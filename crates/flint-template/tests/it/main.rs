//! Integration tests of flint-template: execution, errors, the function sets, HTML escaping,
//! and the differential test against Go's own template packages.

mod alertmanager;
mod data;
mod golang;
mod prometheus;
mod robust;
