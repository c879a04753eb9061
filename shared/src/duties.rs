//! Separation of duties (ISO/IEC 20000-1 8.5.1): who may record an approval decision on a
//! change. One rule, [`may_decide`]: the app offers the decision only to whom it allows (and
//! says why to anyone else), and the relay refuses a decision that breaks it ([`admit`]),
//! knowing from the session who sent it.
//!
//! Only CAB members approve: every change manager, and whoever holds a role the relay's
//! operator made a CAB member (`outpost serve --cab-role agent`; the relay marks such a person
//! [`crate::access::Person::cab`] and the app learns it from the session). Neither the change's requester (who raised it) nor its
//! implementer approves it, whatever their roles; an emergency change's emergency approver and
//! a freeze override are decisions like any other.

use crate::model::{Group, Record};
use crate::person::{Actor, Role};
use crate::refusal::{Refusal, RefusalCode};

/// Why a person without the role may not decide.
pub const NOT_CAB: &str = "Only a change manager or another CAB member may record an approval decision on a change; your roles do not make you one.";
/// Why the change's requester may not decide.
pub const REQUESTER: &str = "You requested this change: someone else must approve it.";
/// Why the change's implementer may not decide.
pub const IMPLEMENTER: &str = "You are implementing this change: someone else must approve it.";

/// Who raised the change: the author of its first status.
pub fn requester(change: &Record) -> String {
    change
        .status_history()
        .into_iter()
        .min_by_key(|c| c.at)
        .map(|c| c.by)
        .unwrap_or_default()
}

/// Who implements the change: whoever moved it to implementing.
pub fn implementers(change: &Record) -> Vec<String> {
    change
        .status_history()
        .into_iter()
        .filter(|c| c.status == "implementing")
        .map(|c| c.by)
        .collect()
}

/// Whether `actor` may record an approval decision on `change`, and if not, why.
pub fn may_decide(change: &Record, actor: &Actor) -> Result<(), String> {
    if !(actor.person.roles.contains(&Role::ChangeManager) || actor.person.cab) {
        return Err(NOT_CAB.into());
    }
    if actor.username == requester(change) {
        return Err(REQUESTER.into());
    }
    if implementers(change).contains(&actor.username) {
        return Err(IMPLEMENTER.into());
    }
    Ok(())
}

/// Whether the approvals `after` adds to `before` may stand, sent by `actor`: each names the
/// sender as its approver, who may decide. Approvals only grow, so the new ones are those
/// `before` lacks (counted, so an identical second entry is new too).
pub fn admit(before: &Record, after: &Record, actor: &Actor) -> Result<(), String> {
    let mut known: Vec<&Group> = before.groups("approvals").collect();
    for approval in after.groups("approvals") {
        if let Some(at) = known.iter().position(|k| *k == approval) {
            known.swap_remove(at);
            continue;
        }
        if approval.str("approver") != actor.username {
            return Err(format!(
                "An approval decision is recorded in the name of the person who gives it; this one names {} but was sent by {}.",
                approval.str("approver"),
                actor.username
            ));
        }
        may_decide(after, actor)?;
    }
    Ok(())
}

/// [`admit`] for the relay, as a refusal with its own code.
pub fn refusal(reason: String) -> Refusal {
    Refusal::new(RefusalCode::SeparationOfDuties, reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Person;
    use crate::model::{ChangeMeta, Lookup, Nothing, Values};
    use crate::records::change::CHANGE;
    use crate::time::Timestamp;

    fn actor(username: &str, roles: &[Role]) -> Actor {
        Actor {
            username: username.into(),
            person: Person {
                roles: roles.iter().copied().collect(),
                ..Person::default()
            },
        }
    }

    fn meta(author: &str, at: i64) -> ChangeMeta {
        ChangeMeta {
            author: author.into(),
            device: format!("device-{author}"),
            at: Timestamp(at),
        }
    }

    fn values(pairs: &[(&str, &str)]) -> Values {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A standard change raised by `ana`, implemented by `ivo`.
    fn change() -> Record {
        let form = crate::forms::Form(&CHANGE);
        let lookup: &dyn Lookup = &Nothing;
        let mut r = form
            .new_record(
                &values(&[("title", "Replace the core switch")]),
                lookup,
                &meta("ana", 1),
            )
            .unwrap();
        r.set("change_type", "standard");
        r.set("template", "TPL-1");
        r.move_to("implementing", "", &Default::default(), &meta("ivo", 2))
            .unwrap();
        r
    }

    fn decided(r: &Record, by: &str) -> Record {
        let mut after = r.clone();
        after
            .act(
                "decide",
                &values(&[("role", "cab"), ("decision", "approve")]),
                &Nothing,
                &meta(by, 5),
            )
            .unwrap();
        after
    }

    #[test]
    fn only_a_change_manager_who_neither_requested_nor_implements_it_decides() {
        let r = change();
        assert_eq!(requester(&r), "ana");
        let cab = |name| actor(name, &[Role::ChangeManager]);
        assert_eq!(may_decide(&r, &cab("carl")), Ok(()));
        assert_eq!(may_decide(&r, &cab("ana")), Err(REQUESTER.into()));
        assert_eq!(may_decide(&r, &cab("ivo")), Err(IMPLEMENTER.into()));
        let admin = actor("root", &[Role::Administrator, Role::Technician]);
        assert_eq!(may_decide(&r, &admin), Err(NOT_CAB.into()));
        // The change's own actions ask the same rule.
        assert_eq!(
            (CHANGE.duties)(&r, "decide", &cab("ana")),
            Err(REQUESTER.into())
        );
        assert_eq!((CHANGE.duties)(&r, "risk", &cab("ana")), Ok(()));
    }

    #[test]
    fn a_role_made_a_cab_member_decides_like_a_change_manager() {
        let r = change();
        let mut agent = actor("ida", &[Role::Agent]);
        assert_eq!(may_decide(&r, &agent), Err(NOT_CAB.into()));
        agent.person.cab = true;
        assert_eq!(may_decide(&r, &agent), Ok(()));
        // The other duties hold for CAB members too.
        agent.username = "ana".into();
        assert_eq!(may_decide(&r, &agent), Err(REQUESTER.into()));
    }

    #[test]
    fn the_form_bars_the_decision_and_says_why() {
        let form = crate::forms::Form(&CHANGE);
        let mut doc = change().document(&meta("ana", 3)).unwrap();
        let ana = actor("ana", &[Role::ChangeManager]);
        assert_eq!(
            form.barred(&doc, &ana),
            vec![("decide", REQUESTER.to_string())]
        );
        assert!(
            form.barred(&doc, &actor("carl", &[Role::ChangeManager]))
                .is_empty()
        );
        let cab = values(&[("role", "cab"), ("decision", "approve")]);
        let refused = form
            .act_as(&mut doc, "decide", &cab, &Nothing, &meta("ana", 4), &ana)
            .unwrap_err();
        assert!(refused.to_string().contains(REQUESTER), "{refused}");
        let carl = actor("carl", &[Role::ChangeManager]);
        form.act_as(&mut doc, "decide", &cab, &Nothing, &meta("carl", 4), &carl)
            .unwrap();
        let view = form.view(&doc).unwrap();
        assert!(
            view.work_log
                .iter()
                .any(|e| e.note.starts_with("Approved by carl (CAB member)")
                    && e.author == "carl"
                    && e.device == "device-carl")
        );
    }

    #[test]
    fn the_relay_admits_a_decision_only_from_its_approver_who_may_give_it() {
        let before = change();
        let carl = actor("carl", &[Role::ChangeManager]);
        assert_eq!(admit(&before, &decided(&before, "carl"), &carl), Ok(()));
        // Nothing new: whoever sends it on.
        let decided_by_carl = decided(&before, "carl");
        let ana = actor("ana", &[Role::ChangeManager]);
        assert_eq!(admit(&decided_by_carl, &decided_by_carl, &ana), Ok(()));
        // The requester approving her own change.
        assert_eq!(
            admit(&before, &decided(&before, "ana"), &ana),
            Err(REQUESTER.into())
        );
        // A decision in someone else's name.
        let why = admit(&before, &decided(&before, "carl"), &ana).unwrap_err();
        assert!(why.contains("names carl but was sent by ana"), "{why}");
        // A technician without the role.
        let tech = actor("tom", &[Role::Technician]);
        assert_eq!(
            admit(&before, &decided(&before, "tom"), &tech),
            Err(NOT_CAB.into())
        );
        // A second, identical entry is a new decision too.
        let twice = decided(&decided_by_carl, "carl");
        assert_eq!(admit(&decided_by_carl, &twice, &carl), Ok(()));
        assert!(admit(&decided_by_carl, &twice, &ana).is_err());
        // The relay's check is the change type's.
        let kept = CHANGE.duties_kept.unwrap();
        assert_eq!(
            kept(&before, &decided(&before, "ana"), &ana),
            Err(REQUESTER.into())
        );
    }
}
