//! Values that remember where in the file they were written.

use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Serialize};

/// A value with the 1-based line and column of its YAML node (0 when unknown, e.g. for
/// values built in code). Serializes as the bare value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Line of the node.
    pub line: usize,
    /// Column of the node.
    pub column: usize,
}

impl<T> Located<T> {
    /// A value with no known position.
    pub fn new(value: T) -> Self {
        Located {
            value,
            line: 0,
            column: 0,
        }
    }
}

impl<T> Deref for Located<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Located<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = serde_saphyr::Spanned::<T>::deserialize(d)?;
        Ok(Located {
            line: s.referenced.line() as usize,
            column: s.referenced.column() as usize,
            value: s.value,
        })
    }
}

impl<T: Serialize> Serialize for Located<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}
