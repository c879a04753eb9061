//! A record type's lifecycle as data: its statuses, which may follow which, which are
//! finished, and which need a reason to enter.

use super::WorkflowError;

pub struct Lifecycle {
    /// The record named with its article, for messages: "an incident".
    pub noun: &'static str,
    /// Every status (key, label) in lifecycle order; a new record starts in the first.
    pub statuses: &'static [(&'static str, &'static str)],
    /// From each status, the statuses it may move to.
    pub moves: &'static [(&'static str, &'static [&'static str])],
    /// Statuses in which the record's work is finished: activity after entering one of them,
    /// from another device, needs a person to look (see `crate::review`).
    pub finished: &'static [&'static str],
    /// Statuses a record enters only with a reason, and what entering them does (for the
    /// message), e.g. `("pending", ", and the SLA clock pauses until it moves on")`.
    pub reasons: &'static [(&'static str, &'static str)],
}

/// For a record type without statuses of its own.
pub static NO_LIFECYCLE: Lifecycle = Lifecycle {
    noun: "a record",
    statuses: &[("open", "Open")],
    moves: &[],
    finished: &[],
    reasons: &[],
};

impl Lifecycle {
    pub fn targets(&self, from: &str) -> &'static [&'static str] {
        self.moves
            .iter()
            .find(|(s, _)| *s == from)
            .map(|(_, to)| *to)
            .unwrap_or(&[])
    }

    /// Staying put is always allowed.
    pub fn allows(&self, from: &str, to: &str) -> bool {
        from == to || self.targets(from).contains(&to)
    }

    pub fn is_finished(&self, status: &str) -> bool {
        self.finished.contains(&status)
    }

    /// The words for status `key` (the key itself if it is not one of this lifecycle's).
    pub fn label<'a>(&self, key: &'a str) -> &'a str {
        self.statuses
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(key, |(_, l)| l)
    }

    /// The status whose key is `key`, as this lifecycle spells it.
    pub fn status(&self, key: &str) -> Option<&'static str> {
        self.statuses
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(k, _)| *k)
    }

    /// The consequence named when entering `status` needs a reason, if it does.
    pub fn reason_for(&self, status: &str) -> Option<&'static str> {
        self.reasons
            .iter()
            .find(|(s, _)| *s == status)
            .map(|(_, consequence)| *consequence)
    }

    pub(crate) fn not_allowed(&self, from: &str, to: &str) -> WorkflowError {
        let options: Vec<&str> = self.targets(from).iter().map(|s| self.label(s)).collect();
        WorkflowError::NotAllowed {
            noun: self.noun,
            from: self.label(from).to_string(),
            to: self.label(to).to_string(),
            options: match options.as_slice() {
                [] => "nowhere: it is final".to_string(),
                [one] => one.to_string(),
                [init @ .., last] => format!("{} or {last}", init.join(", ")),
            },
        }
    }
}
