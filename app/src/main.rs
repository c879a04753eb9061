//! Outpost in the browser: the Leptos app, its IndexedDB store and its sync client.

mod api;
mod repo;
mod state;
mod store;
mod sync;
mod ui;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(ui::App);
}
