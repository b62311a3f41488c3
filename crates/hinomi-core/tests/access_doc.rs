//! `docs/access.md` is the role table of `hinomi_core::access`, written out. This test
//! renders the table and fails when the document says anything else, so the two cannot
//! drift apart. Run with `HINOMI_WRITE_DOCS=1` to rewrite the document from the table.

use hinomi_core::{Action, Role};

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/access.md");

fn render() -> String {
    let mut out = String::from(
        "# Who may do what\n\n\
         <!-- Generated from hinomi_core::access by crates/hinomi-core/tests/access_doc.rs; \
         do not edit by hand. -->\n\n\
         Every route of the API and every console page names one action; a person or token \
         may perform it when their role is at least the action's least role. Roles are \
         ordered: viewer < responder < admin < owner. Integration keys may only post alerts \
         and events.\n\n",
    );
    out.push_str("| action | what it covers | least role |");
    for r in Role::ALL {
        out.push_str(&format!(" {r} |"));
    }
    out.push_str("\n| --- | --- | --- |");
    for _ in Role::ALL {
        out.push_str(" :-: |");
    }
    out.push('\n');
    for a in Action::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} |",
            a.as_str(),
            a.description(),
            a.min_role()
        ));
        for r in Role::ALL {
            out.push_str(if r.may(a) { " yes |" } else { " no |" });
        }
        out.push('\n');
    }
    out.push_str(
        "\n## Teams\n\n\
         A silence, an integration or an on-call schedule may belong to a team. Inside a \
         team a member is a `viewer` or a `responder`; a team role never reaches beyond its \
         team, and it widens only these team-scoped actions on the team's own resources, \
         from the team role given:\n\n",
    );
    for a in Action::ALL {
        if let Some(need) = a.team_min_role() {
            out.push_str(&format!("- `{}`: team {need}\n", a.as_str()));
        }
    }
    out.push_str(
        "\nSo a person whose global role is viewer but who is a responder in team `db` may \
         create, edit and expire the silences of team `db` and change its schedules, and \
         no others. Schedules that belong to no team, and company holiday calendars, are \
         changed by admins.\n\n\
         A personal token made with a role below its user's is capped at that role, and \
         the user's team roles count only up to the cap: a responder's token capped at \
         viewer silences nothing, not even for the user's teams (`may_in_team`).\n\n\
         Nobody gives a role above their own (`Role::may_grant`).\n",
    );
    out
}

#[test]
fn the_access_document_is_the_table() {
    let want = render();
    if std::env::var_os("HINOMI_WRITE_DOCS").is_some() {
        std::fs::write(DOC, &want).expect("write docs/access.md");
    }
    let have = std::fs::read_to_string(DOC).unwrap_or_default();
    assert!(
        have == want,
        "docs/access.md differs from hinomi_core::access; rerun with HINOMI_WRITE_DOCS=1 \
         and commit the result. Expected:\n{want}"
    );
}
