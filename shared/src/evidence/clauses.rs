//! Which record types are evidence for which clause of ISO/IEC 20000-1:2018.

/// A clause an auditor samples, and the record types that evidence it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clause {
    /// As the standard numbers it, e.g. `8.6.1`.
    pub id: &'static str,
    pub title: &'static str,
    /// Record document `type`s.
    pub kinds: &'static [&'static str],
}

/// Every clause Outpost keeps records for, in the standard's order.
pub const CLAUSES: &[Clause] = &[
    Clause {
        id: "6.1",
        title: "Risks and opportunities",
        kinds: &["risk"],
    },
    Clause {
        id: "7.2",
        title: "Competence",
        kinds: &["competence"],
    },
    Clause {
        id: "8.2.4",
        title: "Service catalogue management",
        kinds: &["service"],
    },
    Clause {
        id: "8.2.5",
        title: "Asset management",
        kinds: &["asset"],
    },
    Clause {
        id: "8.2.6",
        title: "Configuration management",
        kinds: &["configuration_item", "verification_campaign"],
    },
    Clause {
        id: "8.3.2",
        title: "Customers and complaints",
        kinds: &["customer", "complaint"],
    },
    Clause {
        id: "8.3.3",
        title: "Service level management",
        kinds: &["sla"],
    },
    Clause {
        id: "8.3.4",
        title: "Supplier management",
        kinds: &["supplier", "contract"],
    },
    Clause {
        id: "8.5.1",
        title: "Change management",
        kinds: &["change", "change_template", "freeze_window"],
    },
    Clause {
        id: "8.5.3",
        title: "Release and deployment management",
        kinds: &["release"],
    },
    Clause {
        id: "8.6.1",
        title: "Incident management",
        kinds: &["incident"],
    },
    Clause {
        id: "8.6.2",
        title: "Service request management",
        kinds: &["service_request"],
    },
    Clause {
        id: "8.6.3",
        title: "Problem management",
        kinds: &["problem"],
    },
    Clause {
        id: "8.7.2",
        title: "Service continuity management",
        kinds: &["continuity_plan"],
    },
    Clause {
        id: "8.7.3",
        title: "Information security management",
        kinds: &["security_incident"],
    },
    Clause {
        id: "9.2",
        title: "Internal audit",
        kinds: &["internal_audit"],
    },
    Clause {
        id: "9.3",
        title: "Management review",
        kinds: &["management_review"],
    },
    Clause {
        id: "10.1",
        title: "Nonconformity and corrective action",
        kinds: &["nonconformity"],
    },
    Clause {
        id: "10.2",
        title: "Continual improvement",
        kinds: &["improvement"],
    },
];

/// The clause numbered `id`.
pub fn clause(id: &str) -> Result<&'static Clause, super::EvidenceError> {
    CLAUSES
        .iter()
        .find(|c| c.id == id.trim())
        .ok_or_else(|| super::EvidenceError::UnknownClause(id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::TYPES;

    #[test]
    fn every_record_type_is_evidence_for_exactly_one_clause() {
        for kind in TYPES.map(|t| t.kind) {
            let n = CLAUSES.iter().filter(|c| c.kinds.contains(&kind)).count();
            assert_eq!(n, 1, "{kind} is evidence for {n} clauses");
        }
    }

    #[test]
    fn unknown_clause_names_itself() {
        let e = clause("8.9").unwrap_err();
        assert!(e.to_string().contains("8.9"), "{e}");
        assert_eq!(clause(" 8.6.1 ").unwrap().kinds, &["incident"]);
    }
}
