//! `performance.mark`s: named instants of a start that the benchmark (bench/src/browser)
//! reads back, so a slow start says which phase was slow. A handful per page load; cheap.

use wasm_bindgen::JsCast as _;

/// `performance.mark(name)`, if the browser has it.
pub fn mark(name: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(perf) = js_sys::Reflect::get(&window, &"performance".into()) else {
        return;
    };
    if let Ok(mark) = js_sys::Reflect::get(&perf, &"mark".into())
        && let Ok(mark) = mark.dyn_into::<js_sys::Function>()
    {
        let _ = mark.call1(&perf, &name.into());
    }
}
