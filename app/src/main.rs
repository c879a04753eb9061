//! Outpost in the browser: the Leptos app, its IndexedDB store and its sync client.

mod api;
mod blobs;
mod perf;
mod session;
mod state;
mod store;
mod sync;
mod ui;
mod zones;

fn main() {
    console_error_panic_hook::set_once();
    // Before anything compiles an SLA calendar or a trend: zone offsets come from Intl.
    zones::install();
    // IndexedDB opens while the page mounts; `AppState::load` takes the open over.
    store::open_early(store::DB_NAME);
    leptos::mount::mount_to_body(ui::App);
}
