//! Time zones from the browser: `Intl.DateTimeFormat` supplies the UTC offsets `shared`'s zones
//! need (`shared::time::zone`), so the app carries no zone database of its own (shared is built
//! without `tzdb`; the browser's ICU data holds the same IANA rules). `shared` asks for a few
//! offsets per UTC day and remembers them, so this is called rarely; it keeps one formatter per
//! zone.

use std::cell::RefCell;
use std::sync::Arc;

use js_sys::{Array, Object, Reflect};
use shared::time::zone::{self, Offsets};

mod intl {
    use js_sys::{Array, Object};
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = Intl)]
        pub type DateTimeFormat;

        /// Throws a RangeError for a time zone the browser does not know: caught here (js-sys's
        /// own binding does not catch).
        #[wasm_bindgen(constructor, js_namespace = Intl, catch)]
        pub fn new(locale: &str, options: &Object) -> Result<DateTimeFormat, JsValue>;

        /// The parts of the wall time at `ms` since the epoch (a RangeError beyond ±8.64e15).
        #[wasm_bindgen(method, js_name = formatToParts, catch)]
        pub fn format_to_parts(this: &DateTimeFormat, ms: f64) -> Result<Array, JsValue>;

        #[wasm_bindgen(method, js_name = resolvedOptions)]
        pub fn resolved_options(this: &DateTimeFormat) -> Object;
    }
}

/// Gregorian calendar, Latin digits, 24-hour clock, whatever the person's locale.
const LOCALE: &str = "en-US-u-ca-gregory-nu-latn";

thread_local! {
    /// One formatter per zone the provider has answered; `IntlOffsets` holds its index.
    static FORMATS: RefCell<Vec<intl::DateTimeFormat>> = const { RefCell::new(Vec::new()) };
}

/// Makes the browser the source of time zones for `shared`. Call once, before anything compiles
/// a calendar; later calls change nothing.
pub fn install() {
    zone::install(provide);
}

/// The offsets of an IANA zone name the browser knows, as the relay's database would accept it:
/// not an offset such as `+01:00` (newer browsers take those), not in other letter case
/// (`europe/berlin`; browsers accept any).
fn provide(name: &str) -> Option<Arc<dyn Offsets>> {
    let plausible = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
        && name.starts_with(|c: char| c.is_ascii_alphabetic());
    if !plausible {
        return None;
    }
    let format = formatter(name)?;
    let resolved = Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()?
        .as_string()?;
    if resolved != name && resolved.eq_ignore_ascii_case(name) {
        return None;
    }
    let slot = FORMATS.with(|formats| {
        let mut formats = formats.borrow_mut();
        formats.push(format);
        formats.len() - 1
    });
    Some(Arc::new(IntlOffsets { slot }))
}

fn formatter(name: &str) -> Option<intl::DateTimeFormat> {
    let options = Object::new();
    let set = |key: &str, value: &str| Reflect::set(&options, &key.into(), &value.into()).ok();
    set("timeZone", name)?;
    set("hourCycle", "h23")?;
    for part in ["year", "month", "day", "hour", "minute", "second"] {
        set(part, "numeric")?;
    }
    intl::DateTimeFormat::new(LOCALE, &options).ok()
}

struct IntlOffsets {
    slot: usize,
}

impl Offsets for IntlOffsets {
    fn offset_secs(&self, utc_secs: i64) -> i32 {
        let parts = FORMATS.with(|formats| {
            formats
                .borrow()
                .get(self.slot)
                .and_then(|format| format.format_to_parts(utc_secs as f64 * 1000.0).ok())
        });
        // Outside the dates a browser can show there is no answer: UTC.
        parts
            .and_then(|parts| wall_secs(&parts))
            .and_then(|wall| i32::try_from(wall - utc_secs).ok())
            .unwrap_or(0)
    }
}

/// The wall time of formatted parts as seconds since the epoch, read as UTC.
fn wall_secs(parts: &Array) -> Option<i64> {
    let mut fields = [None::<i64>; 6];
    for part in parts.iter() {
        let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
        let index = match kind.as_str() {
            "year" => 0,
            "month" => 1,
            "day" => 2,
            "hour" => 3,
            "minute" => 4,
            "second" => 5,
            // "literal", and "era" for years before 1, which are not needed.
            _ => continue,
        };
        let value = Reflect::get(&part, &"value".into()).ok()?.as_string()?;
        fields[index] = value.parse().ok();
    }
    let [year, month, day, hour, minute, second] = fields;
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(year?).ok()?,
        u32::try_from(month?).ok()?,
        u32::try_from(day?).ok()?,
    )?;
    let seconds = hour? * 3600 + minute? * 60 + second?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp() + seconds)
}

#[cfg(test)]
mod tests;
