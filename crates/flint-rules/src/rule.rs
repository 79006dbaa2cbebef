//! A rule of a group: recording or alerting, with the evaluation status the API shows.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use flint_model::Labels;

use crate::alerting::AlertingRule;
use crate::error::EvalError;
use crate::recording::RecordingRule;

/// How the last evaluation went (`health` in `/api/v1/rules`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Health {
    /// Not evaluated yet.
    #[default]
    Unknown,
    /// The last evaluation succeeded.
    Good,
    /// The last evaluation failed.
    Bad,
}

impl Health {
    /// The API's spelling: `unknown`, `ok`, `err`.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Good => "ok",
            Health::Bad => "err",
        }
    }
}

/// The evaluation status of one rule.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// Health of the last evaluation.
    pub health: Health,
    /// The last evaluation's error.
    pub last_error: Option<String>,
    /// When the last evaluation started (wall clock).
    pub last_evaluation: Option<SystemTime>,
    /// How long it took.
    pub evaluation_time: Duration,
}

/// Status shared between the evaluating group and readers.
#[derive(Debug, Default)]
pub(crate) struct SharedStatus(Mutex<Status>);

impl SharedStatus {
    pub(crate) fn get(&self) -> Status {
        lock(&self.0).clone()
    }

    pub(crate) fn set_result(&self, result: Result<(), &EvalError>) {
        let mut s = lock(&self.0);
        match result {
            Ok(()) => {
                s.health = Health::Good;
                s.last_error = None;
            }
            Err(e) => {
                s.health = Health::Bad;
                s.last_error = Some(e.to_string());
            }
        }
    }

    pub(crate) fn set_timing(&self, started: SystemTime, took: Duration) {
        let mut s = lock(&self.0);
        s.last_evaluation = Some(started);
        s.evaluation_time = took;
    }

    pub(crate) fn copy_from(&self, other: &SharedStatus) {
        *lock(&self.0) = other.get();
    }
}

/// Locks, recovering the data of a poisoned lock (a panicking evaluation leaves plain data).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A rule: recording or alerting.
#[derive(Debug, Clone)]
pub enum Rule {
    /// `record:`.
    Recording(Arc<RecordingRule>),
    /// `alert:`.
    Alerting(Arc<AlertingRule>),
}

impl Rule {
    /// The recorded metric or the alert name.
    pub fn name(&self) -> &str {
        match self {
            Rule::Recording(r) => &r.name,
            Rule::Alerting(r) => &r.name,
        }
    }

    /// The rule's labels (the group's included).
    pub fn labels(&self) -> &Labels {
        match self {
            Rule::Recording(r) => &r.labels,
            Rule::Alerting(r) => &r.labels,
        }
    }

    /// The expression in canonical form.
    pub fn query(&self) -> String {
        match self {
            Rule::Recording(r) => r.expr.canonical(),
            Rule::Alerting(r) => r.expr.canonical(),
        }
    }

    /// The evaluation status.
    pub fn status(&self) -> Status {
        self.shared_status().get()
    }

    pub(crate) fn shared_status(&self) -> &SharedStatus {
        match self {
            Rule::Recording(r) => &r.status,
            Rule::Alerting(r) => &r.status,
        }
    }

    /// Name and labels: how a reload matches a new rule to an old one.
    pub(crate) fn identity(&self) -> String {
        format!("{}{}", self.name(), self.labels())
    }
}
