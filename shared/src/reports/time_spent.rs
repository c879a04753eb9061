//! Time spent per person and per service in a period, from the work logs' lines (each line
//! counts in the period its `at` falls in).

use std::collections::BTreeMap;

use super::Period;
use crate::model::{Record, WorkLogEntry};

/// One record's work as the report reads it.
#[derive(Debug, Clone, Copy)]
pub struct Worked<'a> {
    /// The service the record is for (its number; empty: none).
    pub service: &'a str,
    pub work_log: &'a [WorkLogEntry],
}

/// Minutes in the period, per person (author) and per service, and in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeSpent {
    pub by_person: BTreeMap<String, u64>,
    /// Records for no service are under "".
    pub by_service: BTreeMap<String, u64>,
    pub total: u64,
    /// How many records had time in the period.
    pub records: usize,
}

/// What the report needs of a record: the number of the service it is for (its `service`
/// field; empty when it has none) and its work log, or `None` when it logged no time.
pub fn logged(record: &Record) -> Option<(String, Vec<WorkLogEntry>)> {
    let log = record.work_log();
    log.iter()
        .any(|e| e.minutes.is_some())
        .then(|| (record.str("service").to_string(), log))
}

pub fn time_spent<'a>(records: impl IntoIterator<Item = Worked<'a>>, period: Period) -> TimeSpent {
    let mut report = TimeSpent::default();
    for record in records {
        let mut counted = false;
        for entry in record.work_log {
            let Some(minutes) = entry.minutes.filter(|_| period.contains(entry.at)) else {
                continue;
            };
            let minutes = u64::from(minutes);
            *report.by_person.entry(entry.author.clone()).or_default() += minutes;
            *report
                .by_service
                .entry(record.service.to_string())
                .or_default() += minutes;
            report.total += minutes;
            counted = true;
        }
        report.records += usize::from(counted);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn line(author: &str, at: i64, minutes: Option<u32>) -> WorkLogEntry {
        WorkLogEntry {
            at: Timestamp::from_millis(at),
            author: author.into(),
            minutes,
            ..WorkLogEntry::default()
        }
    }

    #[test]
    fn a_record_counts_with_its_service_once_it_logged_time() {
        use crate::model::ChangeMeta;
        use crate::records::incident::INCIDENT;
        let meta = ChangeMeta {
            author: "ana".into(),
            device: "tablet".into(),
            at: Timestamp::from_millis(1),
        };
        let mut r = Record::new(&INCIDENT);
        r.set("service", "SVC-1");
        r.log(&meta, "Looked");
        assert!(logged(&r).is_none());
        r.log_time(&meta, "Fixed", Some(30));
        let (service, log) = logged(&r).unwrap();
        assert_eq!((service.as_str(), log.len()), ("SVC-1", 2));
    }

    #[test]
    fn sums_per_person_and_service_only_inside_the_period() {
        let period = Period::new(Timestamp::from_millis(100), Timestamp::from_millis(200)).unwrap();
        let a = [
            line("ana", 100, Some(30)),
            line("bo", 150, Some(15)),
            line("ana", 199, None),
            line("ana", 200, Some(999)), // the period is half-open
        ];
        let b = [line("ana", 120, Some(45)), line("bo", 50, Some(60))];
        let c = [line("cy", 10, Some(5))];
        let report = time_spent(
            [
                Worked {
                    service: "SVC-1",
                    work_log: &a,
                },
                Worked {
                    service: "",
                    work_log: &b,
                },
                Worked {
                    service: "SVC-1",
                    work_log: &c,
                },
            ],
            period,
        );
        assert_eq!(report.total, 90);
        assert_eq!(report.records, 2);
        assert_eq!(
            report.by_person.into_iter().collect::<Vec<_>>(),
            [("ana".to_string(), 75), ("bo".to_string(), 15)]
        );
        assert_eq!(
            report.by_service.into_iter().collect::<Vec<_>>(),
            [(String::new(), 45), ("SVC-1".to_string(), 45)]
        );
    }
}
