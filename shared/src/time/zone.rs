//! Time zones: the UTC offset in force at an instant, and from it an instant's local date and
//! the instant of a local wall-clock time, with daylight-saving gaps and overlaps resolved as
//! [`Zone::instant`] documents.
//!
//! Where a zone's rules come from is the build's choice, the arithmetic is the same:
//! - with the `tzdb` feature (on by default: the relay, the tests, the benches) `shared` carries
//!   the IANA database (chrono-tz);
//! - without it (the browser app) the host supplies the offsets through [`install`]: the app asks
//!   the browser's `Intl.DateTimeFormat`, so its wasm does not carry ~1 MB of zone tables.
//!
//! `UTC` needs neither. A zone built from supplied offsets asks for at most a few offsets per UTC
//! day and remembers them ([`Zone::with_offsets`]), so counting thousands of SLA clocks asks the
//! host little.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::time::Timestamp;

const SECS_PER_DAY: i64 = 86_400;
/// Zones looked up through the provider (found or not) that are remembered by name.
const MAX_REMEMBERED_NAMES: usize = 1_024;
/// UTC days whose offsets one supplied zone remembers before it starts again.
const MAX_REMEMBERED_DAYS: usize = 100_000;

/// A zone's rules, as the host knows them: the offset in force at an instant.
pub trait Offsets: Send + Sync {
    /// Seconds east of UTC (local wall time = UTC + offset) in force at `utc_secs`, seconds
    /// since the Unix epoch.
    fn offset_secs(&self, utc_secs: i64) -> i32;
}

/// Answers a zone name with its rules, or `None` for a name it does not know.
pub type Provider = fn(&str) -> Option<Arc<dyn Offsets>>;

static PROVIDER: OnceLock<Provider> = OnceLock::new();
/// Zones the provider answered (or refused), so every calendar compiled for a name shares one
/// zone and its remembered offsets.
static PROVIDED: Mutex<BTreeMap<String, Option<Zone>>> = Mutex::new(BTreeMap::new());

/// Installs where zones come from when `shared` is built without its own database (`tzdb`):
/// called once, at start-up, before any calendar is compiled. With `tzdb` the provider only
/// answers names the database does not know. Returns `false` (and changes nothing) if a provider
/// was installed before.
pub fn install(provider: Provider) -> bool {
    PROVIDER.set(provider).is_ok()
}

/// A name that is no time zone (or none this build knows).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a time zone; use an IANA name such as Europe/Berlin")]
pub struct UnknownZone(pub String);

/// A time zone, ready to convert.
#[derive(Clone)]
pub struct Zone {
    name: Arc<str>,
    rules: Rules,
}

#[derive(Clone)]
enum Rules {
    Utc,
    #[cfg(feature = "tzdb")]
    Tzdb(chrono_tz::Tz),
    Supplied(Arc<Remembered>),
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match self.rules {
            Rules::Utc => "utc",
            #[cfg(feature = "tzdb")]
            Rules::Tzdb(_) => "tzdb",
            Rules::Supplied(_) => "supplied",
        };
        f.debug_struct("Zone")
            .field("name", &self.name)
            .field("rules", &source)
            .finish()
    }
}

/// The instants a local wall-clock time names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTime {
    /// The clocks jumped over it (daylight saving begins).
    Gap,
    Single(Timestamp),
    /// The clocks showed it twice (daylight saving ends).
    Overlap {
        earlier: Timestamp,
        later: Timestamp,
    },
}

impl LocalTime {
    pub fn earliest(self) -> Option<Timestamp> {
        match self {
            LocalTime::Gap => None,
            LocalTime::Single(t) | LocalTime::Overlap { earlier: t, .. } => Some(t),
        }
    }
}

impl Zone {
    /// The zone of an IANA name: `UTC`, then the built-in database (with `tzdb`), then the
    /// installed provider.
    pub fn named(name: &str) -> Result<Zone, UnknownZone> {
        if name == "UTC" {
            return Ok(Zone::utc());
        }
        #[cfg(feature = "tzdb")]
        if let Ok(tz) = name.parse::<chrono_tz::Tz>() {
            return Ok(Zone {
                name: name.into(),
                rules: Rules::Tzdb(tz),
            });
        }
        match PROVIDER.get() {
            Some(provider) => provided(name, *provider),
            None => None,
        }
        .ok_or_else(|| UnknownZone(name.into()))
    }

    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            rules: Rules::Utc,
        }
    }

    /// A zone whose offsets `offsets` supplies. It asks for two offsets per UTC day it meets
    /// (about twenty more for a day in which the offset changes, to find the second it changes)
    /// and remembers them; a day whose first and last second have the same offset is taken to
    /// have that offset throughout.
    pub fn with_offsets(name: &str, offsets: Arc<dyn Offsets>) -> Zone {
        Zone {
            name: name.into(),
            rules: Rules::Supplied(Arc::new(Remembered {
                offsets,
                days: Mutex::new(Days::default()),
            })),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Seconds east of UTC in force at `at`.
    pub fn offset_secs(&self, at: Timestamp) -> i32 {
        self.offset_at(at.millis().div_euclid(1000))
    }

    fn offset_at(&self, utc_secs: i64) -> i32 {
        match &self.rules {
            Rules::Utc => 0,
            #[cfg(feature = "tzdb")]
            Rules::Tzdb(tz) => {
                use chrono::{Offset, TimeZone};
                match chrono::DateTime::from_timestamp(utc_secs, 0) {
                    Some(utc) => tz
                        .offset_from_utc_datetime(&utc.naive_utc())
                        .fix()
                        .local_minus_utc(),
                    None => 0,
                }
            }
            Rules::Supplied(remembered) => remembered.offset_secs(utc_secs),
        }
    }

    /// The local wall-clock time at `at`.
    pub fn local(&self, at: Timestamp) -> NaiveDateTime {
        let utc = at.to_datetime();
        let offset = self.offset_at(utc.timestamp());
        let naive = utc.naive_utc();
        naive
            .checked_add_signed(Duration::seconds(i64::from(offset)))
            .unwrap_or(naive)
    }

    /// The local date at `at`.
    pub fn local_date(&self, at: Timestamp) -> NaiveDate {
        self.local(at).date()
    }

    /// The instants at which the clocks of this zone show `local`.
    pub fn resolve(&self, local: NaiveDateTime) -> LocalTime {
        match &self.rules {
            Rules::Utc => LocalTime::Single(Timestamp(local.and_utc().timestamp_millis())),
            #[cfg(feature = "tzdb")]
            Rules::Tzdb(tz) => {
                use chrono::{LocalResult, TimeZone};
                let ms = |dt: chrono::DateTime<chrono_tz::Tz>| Timestamp(dt.timestamp_millis());
                match tz.from_local_datetime(&local) {
                    LocalResult::None => LocalTime::Gap,
                    LocalResult::Single(dt) => LocalTime::Single(ms(dt)),
                    LocalResult::Ambiguous(a, b) => LocalTime::Overlap {
                        earlier: ms(a).min(ms(b)),
                        later: ms(a).max(ms(b)),
                    },
                }
            }
            Rules::Supplied(remembered) => {
                resolve_by_offsets(|secs| remembered.offset_secs(secs), local)
            }
        }
    }

    /// The instant of a local wall-clock time. In an overlap the earlier instant; in a gap the
    /// clocks jumped forward, so the wall time an hour later is taken (for a one-hour gap, the
    /// instant the offset before the gap gives); read as UTC if that does not exist either.
    pub fn instant(&self, local: NaiveDateTime) -> Timestamp {
        self.resolve(local)
            .earliest()
            .or_else(|| {
                local
                    .checked_add_signed(Duration::hours(1))
                    .and_then(|later| self.resolve(later).earliest())
            })
            .unwrap_or_else(|| Timestamp(local.and_utc().timestamp_millis()))
    }
}

/// The zone the provider gives for `name`, remembered by name.
fn provided(name: &str, provider: Provider) -> Option<Zone> {
    let names = || PROVIDED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = names().get(name) {
        return known.clone();
    }
    // The provider runs unlocked: it may take a while, and must not find the lock held.
    let zone = provider(name).map(|offsets| Zone::with_offsets(name, offsets));
    let mut names = names();
    if names.len() < MAX_REMEMBERED_NAMES {
        names.insert(name.to_string(), zone.clone());
    }
    zone
}

/// The instants whose offset puts them at `local`, found from offsets alone: the offsets a day
/// before and a day after are the candidates (a zone changes its offset at most once in two
/// days), and a candidate holds if the instant it gives has that offset.
fn resolve_by_offsets(offset_at: impl Fn(i64) -> i32, local: NaiveDateTime) -> LocalTime {
    let wall_ms = local.and_utc().timestamp_millis();
    let wall = wall_ms.div_euclid(1000);
    let before = offset_at(wall - SECS_PER_DAY);
    let after = offset_at(wall + SECS_PER_DAY);
    let holds = |offset: i32| offset_at(wall - i64::from(offset)) == offset;
    let instant = |offset: i32| Timestamp(wall_ms - i64::from(offset) * 1000);
    match (holds(before), before != after && holds(after)) {
        (false, false) => LocalTime::Gap,
        (true, false) => LocalTime::Single(instant(before)),
        (false, true) => LocalTime::Single(instant(after)),
        (true, true) => {
            let (a, b) = (instant(before), instant(after));
            LocalTime::Overlap {
                earlier: a.min(b),
                later: a.max(b),
            }
        }
    }
}

/// Supplied offsets and the UTC days they have been asked about.
struct Remembered {
    offsets: Arc<dyn Offsets>,
    days: Mutex<Days>,
}

/// UTC days by their number since the epoch; counting clocks looks days up all the time, so a
/// multiplicative hash rather than SipHash (the keys are no one's input to collide).
type Days = HashMap<i64, Day, BuildHasherDefault<DayHasher>>;

#[derive(Default)]
struct DayHasher(u64);

impl Hasher for DayHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_i64(&mut self, n: i64) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// The offsets of one UTC day: the one at its start, and where it changed, the second it
/// changed and the offset from then on.
#[derive(Debug, Clone, Copy)]
struct Day {
    start: i32,
    change: Option<(i64, i32)>,
}

impl Remembered {
    fn offset_secs(&self, utc_secs: i64) -> i32 {
        let index = utc_secs.div_euclid(SECS_PER_DAY);
        let days = || self.days.lock().unwrap_or_else(|e| e.into_inner());
        let known = days().get(&index).copied();
        let day = match known {
            Some(day) => day,
            None => {
                let day = self.scan(index);
                let mut days = days();
                if days.len() >= MAX_REMEMBERED_DAYS {
                    days.clear();
                }
                days.insert(index, day);
                day
            }
        };
        match day.change {
            Some((at, offset)) if utc_secs >= at => offset,
            _ => day.start,
        }
    }

    /// Asks for the offsets at the first and last second of a UTC day and, if they differ,
    /// searches for the second the offset changed.
    fn scan(&self, index: i64) -> Day {
        let first = index * SECS_PER_DAY;
        let last = first + SECS_PER_DAY - 1;
        let start = self.offsets.offset_secs(first);
        let end = self.offsets.offset_secs(last);
        if start == end {
            return Day {
                start,
                change: None,
            };
        }
        // Invariant: `lo` has the start offset, `hi` does not.
        let (mut lo, mut hi, mut after) = (first, last, end);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            let offset = self.offsets.offset_secs(mid);
            if offset == start {
                lo = mid;
            } else {
                (hi, after) = (mid, offset);
            }
        }
        Day {
            start,
            change: Some((hi, after)),
        }
    }
}
