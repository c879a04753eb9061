//! `/admin`: people, sites and teams, through the relay's admin API (administrators only; the
//! relay enforces it, the header only hides the link). Errors show the relay's sentence.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::access::Role;

use super::field::LabelledField;
use crate::api::{self, Group, NewPerson, PersonRow, PersonUpdate};
use crate::state::AppState;

fn group_label(g: &Group) -> String {
    g.label().to_string()
}

/// A person's sites or teams by name (`kind` is "sites" or "teams"); an id the relay no longer
/// lists shows as itself. Each keeps its id in `data-id`.
fn group_names(
    kind: &'static str,
    ids: Vec<String>,
    groups: RwSignal<Vec<Group>>,
) -> impl IntoView {
    view! {
        <span class=format!("person-{kind}")>
            {move || {
                let shown = groups.with(|gs| {
                    ids.iter()
                        .map(|id| {
                            let name = gs.iter().find(|g| &g.id == id).map_or_else(|| id.clone(), group_label);
                            (id.clone(), name)
                        })
                        .collect::<Vec<_>>()
                });
                let last = shown.len().saturating_sub(1);
                shown
                    .into_iter()
                    .enumerate()
                    .map(|(i, (id, name))| view! {
                        <span class="group-name" data-id=id>{name}</span>
                        {(i < last).then_some(", ")}
                    })
                    .collect_view()
            }}
        </span>
    }
}

/// Checkboxes choosing some of `groups` (`kind` is "site" or "team"): `#choose-<kind>-<id>`, each
/// labelled with the group's name.
fn group_choice(
    kind: &'static str,
    groups: RwSignal<Vec<Group>>,
    chosen: RwSignal<Vec<String>>,
) -> impl IntoView {
    view! {
        <fieldset class=format!("roles new-{kind}s")>
            <legend>{if kind == "site" { "Sites" } else { "Teams" }}</legend>
            <Show when=move || groups.with(Vec::is_empty)>
                <p class="muted">{format!("No {kind}s yet: add one below.")}</p>
            </Show>
            <For each=move || groups.get() key=|g| g.id.clone() let:g>
                {
                    let id = g.id.clone();
                    let (on, set) = (id.clone(), id.clone());
                    view! {
                        <label class="role">
                            <input
                                type="checkbox"
                                id=format!("choose-{kind}-{id}")
                                value=id.clone()
                                prop:checked=move || chosen.with(|c| c.contains(&on))
                                on:change=move |ev| {
                                    let checked = event_target_checked(&ev);
                                    chosen.update(|c| {
                                        c.retain(|x| *x != set);
                                        if checked {
                                            c.push(set.clone());
                                        }
                                    });
                                }
                            />
                            {group_label(&g)}
                        </label>
                    }
                }
            </For>
        </fieldset>
    }
}

/// An admin request in flight (the screen shows its outcome).
type Action = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), api::ApiError>>>>;

/// Grants or revokes one role of `username`; the relay applies it to their next sync session.
#[component]
fn RoleChange(
    username: String,
    act: impl Fn(Action, String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let role = RwSignal::new(Role::ALL[0].as_str().to_string());
    let change = move |grant: bool, username: String| {
        let r = role.get_untracked();
        let chosen = Role::parse(&r);
        let update = if grant {
            PersonUpdate {
                grant: chosen,
                ..PersonUpdate::default()
            }
        } else {
            PersonUpdate {
                revoke: chosen,
                ..PersonUpdate::default()
            }
        };
        let done = if grant {
            format!("Granted {} to {username}.", r.replace('_', " "))
        } else {
            format!("Revoked {} from {username}.", r.replace('_', " "))
        };
        act(
            Box::pin(async move { api::update_person(&username, &update).await }),
            done,
        );
    };
    let (u1, u2) = (username.clone(), username.clone());
    view! {
        <div class="role-change">
            <select
                class="role-select"
                aria-label=format!("Role to grant or revoke for {username}")
                on:change=move |ev| role.set(event_target_value(&ev))
            >
                {Role::ALL.map(Role::as_str)
                    .into_iter()
                    .map(|r| view! { <option value=r>{r.replace('_', " ")}</option> })
                    .collect_view()}
            </select>
            <button type="button" class="button grant-role" on:click=move |_| change(true, u1.clone())>
                "Grant"
            </button>
            <button type="button" class="button revoke-role" on:click=move |_| change(false, u2.clone())>
                "Revoke"
            </button>
        </div>
    }
}

/// Adds `username` to, or removes them from, one site or team (`kind` is "site" or "team") the
/// relay knows; the relay refuses an unknown one with a sentence the screen shows.
#[component]
fn GroupChange(
    username: String,
    kind: &'static str,
    groups: RwSignal<Vec<Group>>,
    act: impl Fn(Action, String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let chosen = RwSignal::new(String::new());
    let change = move |join: bool, username: String| {
        let g = chosen.get_untracked();
        let g = if g.is_empty() {
            groups.with_untracked(|gs| gs.first().map(|g| g.id.clone()).unwrap_or_default())
        } else {
            g
        };
        let mut update = PersonUpdate::default();
        *match (join, kind) {
            (true, "site") => &mut update.join_site,
            (false, "site") => &mut update.leave_site,
            (true, _) => &mut update.join_team,
            (false, _) => &mut update.leave_team,
        } = Some(g.clone());
        let done = if join {
            format!("Added {username} to {kind} {g}.")
        } else {
            format!("Removed {username} from {kind} {g}.")
        };
        act(
            Box::pin(async move {
                if g.is_empty() {
                    return Err(api::ApiError::Status(
                        400,
                        format!("There is no {kind} to choose: add one first."),
                    ));
                }
                api::update_person(&username, &update).await
            }),
            done,
        );
    };
    let (u1, u2) = (username.clone(), username.clone());
    view! {
        <div class=format!("group-change {kind}-change")>
            <select
                class=format!("{kind}-select")
                aria-label=format!("{} to join or leave for {username}", if kind == "site" { "Site" } else { "Team" })
                on:change=move |ev| chosen.set(event_target_value(&ev))
            >
                <For each=move || groups.get() key=|g| g.id.clone() let:g>
                    <option value=g.id.clone()>{group_label(&g)}</option>
                </For>
            </select>
            <button type="button" class=format!("button join-{kind}") on:click=move |_| change(true, u1.clone())>
                "Join"
            </button>
            <button type="button" class=format!("button leave-{kind}") on:click=move |_| change(false, u2.clone())>
                "Leave"
            </button>
        </div>
    }
}

#[component]
pub fn Admin() -> impl IntoView {
    let state = expect_context::<AppState>();
    let people = RwSignal::new(Vec::<PersonRow>::new());
    let sites = RwSignal::new(Vec::<Group>::new());
    let teams = RwSignal::new(Vec::<Group>::new());
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);

    let reload = move || {
        spawn_local(async move {
            let result = async {
                people.set(api::people().await?);
                sites.set(api::sites().await?);
                teams.set(api::teams().await?);
                Ok::<(), api::ApiError>(())
            }
            .await;
            // A person added or changed here is someone to pick on this device at once.
            state.refresh_directory().await;
            if let Err(e) = result {
                error.set(Some(e.to_string()));
            }
        });
    };
    reload();
    // Runs an admin action, shows its outcome, then re-reads the lists.
    let act = move |fut: Action, done: String| {
        error.set(None);
        notice.set(None);
        spawn_local(async move {
            match fut.await {
                Ok(()) => notice.set(Some(done)),
                Err(e) => error.set(Some(e.to_string())),
            }
            reload();
        });
    };

    let new_username = RwSignal::new(String::new());
    let new_name = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let new_roles = RwSignal::new(Vec::<String>::new());
    let new_sites = RwSignal::new(Vec::<String>::new());
    let new_teams = RwSignal::new(Vec::<String>::new());
    let add_person = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let username = new_username.get_untracked().trim().to_string();
        let body = NewPerson {
            username: username.clone(),
            display_name: new_name.get_untracked().trim().to_string(),
            password: new_password.get_untracked(),
            roles: new_roles.with_untracked(|r| r.iter().filter_map(|r| Role::parse(r)).collect()),
            sites: new_sites.get_untracked(),
            teams: new_teams.get_untracked(),
        };
        act(
            Box::pin(async move {
                api::add_person(&body).await?;
                new_username.set(String::new());
                new_name.set(String::new());
                new_password.set(String::new());
                new_roles.set(vec![]);
                new_sites.set(vec![]);
                new_teams.set(vec![]);
                Ok(())
            }),
            format!("Added {username}."),
        );
    };

    let group_form =
        move |what: &'static str, label: &'static str, target: RwSignal<Vec<Group>>| {
            let gid = RwSignal::new(String::new());
            let gname = RwSignal::new(String::new());
            let submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let (i, n) = (
                    gid.get_untracked().trim().to_string(),
                    gname.get_untracked().trim().to_string(),
                );
                act(
                    Box::pin(async move {
                        api::add_group(what, &i, &n).await?;
                        // Forms offer it (by name) from the device's copy.
                        state.refresh_groups().await;
                        gid.set(String::new());
                        gname.set(String::new());
                        Ok(())
                    }),
                    format!("Added {label} {}.", gid.get_untracked()),
                );
            };
            view! {
                <section class="card">
                    <h2>{if what == "sites" { "Sites" } else { "Teams" }}</h2>
                    <ul class=format!("{what}-list")>
                        <For each=move || target.get() key=|g| g.id.clone() let:g>
                            <li class=format!("{}-row", &what[..4])>
                                {group_label(&g)}
                                " "
                                <code>{g.id.clone()}</code>
                            </li>
                        </For>
                    </ul>
                    <form class="inline" on:submit=submit>
                        <input
                            id=format!("new-{}-id", &what[..4])
                            aria-label=format!("New {label}: id")
                            placeholder="id"
                            prop:value=move || gid.get()
                            on:input=move |ev| gid.set(event_target_value(&ev))
                        />
                        <input
                            id=format!("new-{}-name", &what[..4])
                            aria-label=format!("New {label}: name")
                            placeholder="name"
                            prop:value=move || gname.get()
                            on:input=move |ev| gname.set(event_target_value(&ev))
                        />
                        <button id=format!("add-{}", &what[..4]) type="submit" class="button">
                            {format!("Add {label}")}
                        </button>
                    </form>
                </section>
            }
        };

    let is_admin = move || {
        state
            .session
            .with(|s| s.as_ref().is_some_and(api::SessionInfo::may_administer))
    };

    view! {
        <section class="page admin-page">
            <nav class="crumbs">
                <a href="/">"← Incidents"</a>
            </nav>
            <h1>"Administration"</h1>
            <Show when=move || !is_admin()>
                <p class="banner">"Only an administrator can manage people, sites and teams."</p>
            </Show>
            {move || error.get().map(|e| view! { <p class="admin-error form-error" role="alert">{e}</p> })}
            {move || notice.get().map(|n| view! { <p class="admin-notice" role="status">{n}</p> })}
            <section class="card">
                <h2>"People"</h2>
                <table class="people">
                    <thead>
                        <tr><th>"Username"</th><th>"Name"</th><th>"Roles"</th><th>"Sites"</th><th>"Teams"</th><th>"Status"</th><th></th></tr>
                    </thead>
                    <tbody>
                        <For each=move || people.get() key=|p| p.clone() let:p>
                            {
                                let username = p.username.clone();
                                let disabled = p.disabled;
                                let reset_pw = RwSignal::new(String::new());
                                let u1 = username.clone();
                                let u2 = username.clone();
                                view! {
                                    <tr class="person-row" data-username=username.clone()>
                                        <td class="person-username" data-label="Username">{username.clone()}</td>
                                        <td data-label="Name">{p.display_name.clone()}</td>
                                        <td data-label="Roles">
                                            <span class="person-roles">{p.roles.join(", ")}</span>
                                            <RoleChange username=username.clone() act=act />
                                        </td>
                                        <td data-label="Sites">
                                            {group_names("sites", p.sites.clone(), sites)}
                                            <GroupChange username=username.clone() kind="site" groups=sites act=act />
                                        </td>
                                        <td data-label="Teams">
                                            {group_names("teams", p.teams.clone(), teams)}
                                            <GroupChange username=username.clone() kind="team" groups=teams act=act />
                                        </td>
                                        <td class="person-status" data-label="Status">{if disabled { "disabled" } else { "active" }}</td>
                                        <td class="person-actions">
                                            <button
                                                type="button"
                                                class="button toggle-disabled"
                                                on:click=move |_| {
                                                    let u = u1.clone();
                                                    act(
                                                        Box::pin(async move {
                                                            api::update_person(&u, &PersonUpdate { disabled: Some(!disabled), ..PersonUpdate::default() }).await
                                                        }),
                                                        format!("{} {}.", if disabled { "Enabled" } else { "Disabled" }, u1),
                                                    );
                                                }
                                            >
                                                {if disabled { "Enable" } else { "Disable" }}
                                            </button>
                                            <input
                                                type="password"
                                                class="reset-password"
                                                aria-label=format!("New password for {username}")
                                                placeholder="new password"
                                                autocomplete="new-password"
                                                prop:value=move || reset_pw.get()
                                                on:input=move |ev| reset_pw.set(event_target_value(&ev))
                                            />
                                            <button
                                                type="button"
                                                class="button reset-password-button"
                                                on:click=move |_| {
                                                    let u = u2.clone();
                                                    let pw = reset_pw.get_untracked();
                                                    act(
                                                        Box::pin(async move {
                                                            api::update_person(&u, &PersonUpdate { password: Some(pw), ..PersonUpdate::default() }).await
                                                        }),
                                                        format!("Password of {} reset.", u2),
                                                    );
                                                }
                                            >
                                                "Reset password"
                                            </button>
                                        </td>
                                    </tr>
                                }
                            }
                        </For>
                    </tbody>
                </table>
            </section>
            <section class="card">
                <h2>"Add a person"</h2>
                <form class="add-person" on:submit=add_person novalidate>
                    <LabelledField label="Username" for_id="new-username">
                        <input id="new-username" autocapitalize="none" prop:value=move || new_username.get() on:input=move |ev| new_username.set(event_target_value(&ev)) />
                    </LabelledField>
                    <LabelledField label="Name" for_id="new-display-name">
                        <input id="new-display-name" prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev)) />
                    </LabelledField>
                    <LabelledField label="Password (at least 10 characters)" for_id="new-password">
                        <input id="new-password" type="password" autocomplete="new-password" prop:value=move || new_password.get() on:input=move |ev| new_password.set(event_target_value(&ev)) />
                    </LabelledField>
                    <fieldset class="roles">
                        <legend>"Roles"</legend>
                        {Role::ALL.map(Role::as_str)
                            .into_iter()
                            .map(|role| {
                                view! {
                                    <label class="role">
                                        <input
                                            type="checkbox"
                                            id=format!("role-{role}")
                                            value=role
                                            prop:checked=move || new_roles.with(|r| r.iter().any(|x| x == role))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                new_roles.update(|r| {
                                                    r.retain(|x| x != role);
                                                    if on {
                                                        r.push(role.to_string());
                                                    }
                                                });
                                            }
                                        />
                                        {role.replace('_', " ")}
                                    </label>
                                }
                            })
                            .collect_view()}
                    </fieldset>
                    {group_choice("site", sites, new_sites)}
                    {group_choice("team", teams, new_teams)}
                    <div class="actions wide">
                        <button id="add-person" type="submit" class="button primary">"Add person"</button>
                    </div>
                </form>
            </section>
            {group_form("sites", "site", sites)}
            {group_form("teams", "team", teams)}
        </section>
    }
}
