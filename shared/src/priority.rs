//! Priority from impact × urgency, by a configurable matrix (ISO 20000 8.6.1).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Impact and urgency share one three-step scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Level {
    High,
    Medium,
    Low,
}

impl Default for Level {
    /// A new record starts at medium until someone classifies it.
    fn default() -> Self {
        Level::Medium
    }
}

impl Level {
    pub const ALL: [Level; 3] = [Level::High, Level::Medium, Level::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::High => "high",
            Level::Medium => "medium",
            Level::Low => "low",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    fn index(self) -> usize {
        match self {
            Level::High => 0,
            Level::Medium => 1,
            Level::Low => 2,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::High => "High",
            Level::Medium => "Medium",
            Level::Low => "Low",
        })
    }
}

/// P1 (critical) to P5 (planning).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub enum Priority {
    P1,
    P2,
    #[default]
    P3,
    P4,
    P5,
}

impl Priority {
    pub const ALL: [Priority; 5] = [
        Priority::P1,
        Priority::P2,
        Priority::P3,
        Priority::P4,
        Priority::P5,
    ];
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Priority::P1 => "P1 Critical",
            Priority::P2 => "P2 High",
            Priority::P3 => "P3 Moderate",
            Priority::P4 => "P4 Low",
            Priority::P5 => "P5 Planning",
        })
    }
}

/// Rows are impact (high, medium, low), columns urgency (high, medium, low).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityMatrix {
    pub table: [[Priority; 3]; 3],
}

impl Default for PriorityMatrix {
    /// The common ITIL matrix.
    fn default() -> Self {
        use Priority::*;
        Self {
            table: [[P1, P2, P3], [P2, P3, P4], [P3, P4, P5]],
        }
    }
}

impl PriorityMatrix {
    pub fn priority(&self, impact: Level, urgency: Level) -> Priority {
        self.table[impact.index()][urgency.index()]
    }
}

/// Impact and urgency, as a record field: high, medium (the default) or low.
pub const LEVELS: crate::model::Choices = crate::model::Choices {
    options: &[("high", "High"), ("medium", "Medium"), ("low", "Low")],
    default: "medium",
};

/// A priority, as a record field (SLA targets): P1 to P5.
pub const PRIORITIES: crate::model::Choices = crate::model::Choices {
    options: &[
        ("P1", "P1 Critical"),
        ("P2", "P2 High"),
        ("P3", "P3 Moderate"),
        ("P4", "P4 Low"),
        ("P5", "P5 Planning"),
    ],
    default: "P3",
};

impl Level {
    /// The level a record field holds (medium when it holds none).
    pub fn of(key: &str) -> Level {
        Level::parse(key).unwrap_or_default()
    }
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
            Priority::P4 => "P4",
            Priority::P5 => "P5",
        }
    }

    pub fn parse(key: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matrix_is_the_itil_one() {
        let m = PriorityMatrix::default();
        assert_eq!(m.priority(Level::High, Level::High), Priority::P1);
        assert_eq!(m.priority(Level::High, Level::Medium), Priority::P2);
        assert_eq!(m.priority(Level::Medium, Level::High), Priority::P2);
        assert_eq!(m.priority(Level::High, Level::Low), Priority::P3);
        assert_eq!(m.priority(Level::Medium, Level::Medium), Priority::P3);
        assert_eq!(m.priority(Level::Low, Level::High), Priority::P3);
        assert_eq!(m.priority(Level::Medium, Level::Low), Priority::P4);
        assert_eq!(m.priority(Level::Low, Level::Medium), Priority::P4);
        assert_eq!(m.priority(Level::Low, Level::Low), Priority::P5);
    }

    #[test]
    fn matrix_is_configurable() {
        let mut m = PriorityMatrix::default();
        m.table[2][2] = Priority::P4;
        assert_eq!(m.priority(Level::Low, Level::Low), Priority::P4);
    }

    #[test]
    fn higher_impact_or_urgency_never_lowers_priority() {
        let m = PriorityMatrix::default();
        for i in 0..3 {
            for u in 0..2 {
                assert!(m.table[i][u] <= m.table[i][u + 1]);
                assert!(m.table[u][i] <= m.table[u + 1][i]);
            }
        }
    }

    #[test]
    fn levels_parse_from_their_names() {
        for l in Level::ALL {
            assert_eq!(Level::parse(l.as_str()), Some(l));
        }
        assert_eq!(Level::parse("urgent"), None);
    }
}
