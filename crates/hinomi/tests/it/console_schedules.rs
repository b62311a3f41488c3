//! The console's schedule pages over real HTTP, on both databases: building a schedule
//! from the form, asking who is on call and why in Japanese and English, the next shifts in
//! the viewer's time zone, overrides and swaps, bad input refused with its field marked and
//! nothing changed, a viewer who may read but not change, and the calendar feed's address.

use serde_json::Value;

use crate::both_databases;
use crate::console::{browser_as, page, post_form};
use crate::harness::*;

/// The form of the Tokyo schedule: a weekly rotation and weekday business hours that skip
/// Japanese public holidays.
fn schedule_form(handoff: &str) -> Vec<(&'static str, String)> {
    let mut form = vec![
        ("name", "db primary".to_owned()),
        ("description", "データベース当番".to_owned()),
        ("team", String::new()),
        ("time_zone", "Asia/Tokyo".to_owned()),
        ("layers[0].name", "weekly".to_owned()),
        ("layers[0].participants", "aki\r\nben\r\n".to_owned()),
        ("layers[0].shift_length.count", "1".to_owned()),
        ("layers[0].shift_length.unit", "weeks".to_owned()),
        ("layers[0].start", "2026-09-07T10:00".to_owned()),
        ("layers[0].handoff", handoff.to_owned()),
        ("layers[1].name", "business hours".to_owned()),
        ("layers[1].participants", "dai".to_owned()),
        ("layers[1].shift_length.count", "1".to_owned()),
        ("layers[1].shift_length.unit", "days".to_owned()),
        ("layers[1].start", "2026-09-07T09:00".to_owned()),
        ("layers[1].handoff", "09:00".to_owned()),
        ("layers[1].restriction.windows[0].start", "09:00".to_owned()),
        ("layers[1].restriction.windows[0].end", "18:00".to_owned()),
        (
            "layers[1].restriction.skip_japanese_holidays",
            "1".to_owned(),
        ),
        // The spare layer and window the form offers, left empty.
        ("layers[2].name", String::new()),
        ("layers[2].participants", String::new()),
        ("layers[2].shift_length.count", "1".to_owned()),
        ("layers[2].shift_length.unit", "weeks".to_owned()),
        ("layers[2].start", String::new()),
        ("layers[2].handoff", "10:00".to_owned()),
        ("layers[1].restriction.windows[1].start", String::new()),
    ];
    for day in ["mon", "tue", "wed", "thu", "fri"] {
        form.push(("layers[1].restriction.windows[0].days", day.to_owned()));
    }
    form
}

async fn post(
    server: &Server,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, String)],
) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post_form(server, client, path, &fields).await
}

both_databases!(build_a_schedule_and_ask_who, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    for name in ["aki", "ben", "dai", "fumi"] {
        server.create_user(name, "responder");
    }
    let admin = browser_as(&server, "sato", "admin").await;
    // Sato reads times in Tokyo.
    let r = post_form(
        &server,
        &admin,
        "/preferences",
        &[("tz", "Asia/Tokyo"), ("next", "/schedules")],
    )
    .await;
    assert_eq!(r.status(), 303);

    for (lang, title, empty) in [
        (
            "ja",
            "オンコールスケジュール",
            "スケジュールはまだありません",
        ),
        ("en", "On-call schedules", "No schedules yet"),
    ] {
        let (status, body) = page(&server, &admin, "/schedules", lang).await;
        assert_eq!(status, 200);
        assert!(body.contains(title) && body.contains(empty), "{body}");
        assert!(body.contains("/schedules/new"), "admins may create");
        assert!(
            body.contains("aria-current=\"page\""),
            "the nav marks the page"
        );
        let (status, body) = page(&server, &admin, "/schedules/new", lang).await;
        assert_eq!(status, 200);
        assert!(body.contains("name=\"layers[0].handoff\""), "{body}");
    }

    let r = post(&server, &admin, "/schedules", &schedule_form("10:00")).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let id = location.strip_prefix("/schedules/").unwrap().to_owned();
    let stored = server.get_json(&format!("/api/v1/schedules/{id}")).await;
    assert_eq!(
        stored["layers"][0]["start"], "2026-09-07T01:00:00Z",
        "Tokyo time"
    );
    assert_eq!(stored["layers"].as_array().unwrap().len(), 2, "{stored}");
    assert_eq!(
        stored["layers"][1]["restriction"]["windows"][0]["days"],
        serde_json::json!(["mon", "tue", "wed", "thu", "fri"])
    );

    // Who is on call next Tuesday at 03:00, and why.
    let ask = |at: &str| format!("{location}?at={at}");
    let (status, body) = page(&server, &admin, &ask("2026-09-15T03:00"), "en").await;
    assert_eq!(status, 200);
    assert!(body.contains("<strong>ben</strong>"), "{body}");
    assert!(
        body.contains("ben is on call in layer “weekly”: shift 2 of its rotation"),
        "{body}"
    );
    assert!(body.contains("none of its windows is open"), "{body}");
    // A public holiday, in Japanese.
    let (_, body) = page(&server, &admin, &ask("2026-09-22T12:00"), "ja").await;
    assert!(body.contains("国民の休日"), "{body}");
    let (status, body) = page(&server, &admin, &ask("someday"), "en").await;
    assert_eq!(status, 400);
    assert!(body.contains("id=\"at\"") && body.contains("aria-invalid=\"true\""));
    // The next 14 days, in the viewer's zone.
    let (_, body) = page(&server, &admin, &location, "en").await;
    assert!(
        body.contains("The next 14 days") && body.contains("JST"),
        "{body}"
    );

    // Bad input: refused with its input marked, and nothing changes.
    let r = post(&server, &admin, &location, &schedule_form("25:00")).await;
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("name=\"layers[0].handoff\" value=\"25:00\" type=\"time\" aria-describedby=\"layers[0].handoff-help\" aria-invalid=\"true\""),
        "{body}"
    );
    let mut unknown = schedule_form("10:00");
    unknown[5].1 = "aki\nnobody".into();
    let r = post(&server, &admin, &location, &unknown).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("nobody"));
    let stored = server.get_json(&format!("/api/v1/schedules/{id}")).await;
    assert_eq!(stored["layers"][0]["handoff"], "10:00");
    assert_eq!(
        stored["layers"][0]["participants"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // An override for a sick colleague, a refused swap, and the override removed.
    let sick = [
        ("user", "fumi"),
        ("swap_from", ""),
        ("start", "2026-09-15T00:00"),
        ("end", "2026-09-15T09:00"),
        ("note", "ben は病欠"),
    ];
    let overrides = format!("{location}/overrides");
    let r = post_form(&server, &admin, &overrides, &sick).await;
    assert_eq!(r.status(), 303);
    let (_, body) = page(&server, &admin, &ask("2026-09-15T03:00"), "en").await;
    assert!(body.contains("fumi is on call by an override"), "{body}");
    assert!(body.contains("ben は病欠"));
    let backwards = [
        ("user", "fumi"),
        ("start", "2026-09-16T09:00"),
        ("end", "2026-09-16T08:00"),
    ];
    let r = post_form(&server, &admin, &overrides, &backwards).await;
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("id=\"o-end\"") && body.contains("aria-invalid"),
        "{body}"
    );
    let not_hers = [
        ("user", "fumi"),
        ("swap_from", "dai"),
        ("start", "2026-09-16T20:00"),
        ("end", "2026-09-16T22:00"),
    ];
    let r = post_form(&server, &admin, &overrides, &not_hers).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("not on call throughout"));
    let stored = server.get_json(&format!("/api/v1/schedules/{id}")).await;
    let o = stored["overrides"].as_array().unwrap();
    assert_eq!(o.len(), 1, "{stored}");
    let oid = o[0]["id"].as_str().unwrap();
    let r = post_form(&server, &admin, &format!("{overrides}/{oid}/remove"), &[]).await;
    assert_eq!(r.status(), 303);

    // A viewer reads the page but finds no form, and may not change anything.
    let viewer = browser_as(&server, "yui", "viewer").await;
    let (status, body) = page(&server, &viewer, &location, "en").await;
    assert_eq!(status, 200);
    assert!(!body.contains("Change the schedule") && !body.contains("/overrides\""));
    let r = post_form(&server, &viewer, &format!("{location}/delete"), &[]).await;
    assert_eq!(r.status(), 403);
    let (_, body) = page(&server, &viewer, "/schedules", "en").await;
    assert!(body.contains("db primary") && !body.contains("/schedules/new"));

    // The calendar feed's address, replaced on request.
    let feed = |body: &str| {
        let start = body.find("/ical/").expect("a feed address");
        body[start..start + body[start..].find(".ics").unwrap()].to_owned()
    };
    let (_, body) = page(&server, &viewer, "/schedules", "en").await;
    let before = feed(&body);
    let r = post_form(&server, &viewer, "/account/ical/rotate", &[]).await;
    assert_eq!(r.status(), 303);
    let (_, body) = page(&server, &viewer, "/schedules", "en").await;
    assert_ne!(feed(&body), before);

    // Deleted, the list is empty again.
    let r = post_form(&server, &admin, &format!("{location}/delete"), &[]).await;
    assert_eq!(r.status(), 303);
    let list: Value = server.get_json("/api/v1/schedules").await;
    assert!(list.as_array().unwrap().is_empty());
    assert!(server.terminate().await.success());
});

/// The id of the user named `username`.
async fn user_id(server: &Server, username: &str) -> String {
    let u = server.get_json(&format!("/api/v1/users/{username}")).await;
    u["id"].as_str().unwrap().to_owned()
}

both_databases!(holiday_calendars_in_the_console, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    server.create_user("dai", "responder");
    let admin = browser_as(&server, "sato", "admin").await;
    // Linked from the schedules page.
    let (_, body) = page(&server, &admin, "/schedules", "en").await;
    assert!(body.contains("href=\"/holiday-calendars\""), "{body}");
    // The Japanese public holidays of a year, in both languages.
    let (status, body) = page(&server, &admin, "/holiday-calendars?year=2026", "ja").await;
    assert_eq!(status, 200);
    assert!(body.contains("休日カレンダー") && body.contains("会社カレンダーはまだありません"));
    assert!(
        body.contains("<td>2026-09-22</td><td>火</td><td>国民の休日</td>"),
        "{body}"
    );
    let (_, body) = page(&server, &admin, "/holiday-calendars?year=2026", "en").await;
    assert!(
        body.contains("<td>2026-09-21</td><td>Mon</td><td>Respect for the Aged Day</td>"),
        "{body}"
    );
    let (status, body) = page(&server, &admin, "/holiday-calendars?year=1899", "en").await;
    assert_eq!(status, 400);
    assert!(
        body.contains("id=\"year\"") && body.contains("aria-invalid=\"true\""),
        "{body}"
    );

    // A calendar made with pasted days; bad days refused with the box marked.
    let r = post_form(
        &server,
        &admin,
        "/holiday-calendars",
        &[
            ("name", "company"),
            ("description", "本社"),
            ("days", "2026-12-29,年末休暇\n2026-12-32,ない日"),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("line 2") && body.contains("id=\"c-days\" name=\"days\" rows=\"6\" aria-describedby=\"c-days-help\" aria-invalid=\"true\""), "{body}");
    assert!(
        body.contains("2026-12-32,ない日"),
        "the input is kept: {body}"
    );
    let r = post_form(
        &server,
        &admin,
        "/holiday-calendars",
        &[
            ("name", "company"),
            ("description", "本社"),
            ("days", "2026-12-29,年末休暇\n2026-12-30,年末休暇"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let r = post_form(
        &server,
        &admin,
        "/holiday-calendars",
        &[("name", "company")],
    )
    .await;
    assert_eq!(r.status(), 409);
    let (status, body) = page(&server, &admin, &location, "en").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<td>2026-12-30</td><td>Wed</td><td>年末休暇</td>"),
        "{body}"
    );
    // An iCalendar file pasted (or read from a file) adds its all-day events.
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260924\r\nSUMMARY:創立記念日\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let r = post_form(
        &server,
        &admin,
        &format!("{location}/import"),
        &[("text", ics)],
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = post_form(
        &server,
        &admin,
        &format!("{location}/import"),
        &[("text", "not a day")],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("id=\"i-text\" name=\"text\" rows=\"8\" aria-describedby=\"i-text-help\" aria-invalid=\"true\""));
    let r = post_form(
        &server,
        &admin,
        &format!("{location}/days/2026-12-30/delete"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = post_form(
        &server,
        &admin,
        &format!("{location}/days/2026-12-31/delete"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 404);
    let id = location.strip_prefix("/holiday-calendars/").unwrap();
    let stored = server
        .get_json(&format!("/api/v1/holiday-calendars/{id}"))
        .await;
    let dates: Vec<&str> = stored["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-09-24", "2026-12-29"]);

    // Skipped by a schedule, it cannot be deleted: the page says which, in Japanese.
    let dai = user_id(&server, "dai").await;
    let r = server.post_json("/api/v1/schedules", &serde_json::json!({"name": "db", "time_zone": "Asia/Tokyo", "layers": [
        {"name": "day", "participants": [dai], "shift_length": {"unit": "days", "count": 1},
         "start": "2026-09-07T09:00:00+09:00", "handoff": "09:00",
         "restriction": {"windows": [{"days": ["mon"], "start": "09:00", "end": "18:00"}], "skip_calendars": [id]}}]})).await;
    assert_eq!(r.status(), 201);
    let r = post_form(
        &server,
        &admin,
        "/preferences",
        &[("lang", "ja"), ("next", "/schedules")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = post_form(&server, &admin, &format!("{location}/delete"), &[]).await;
    assert_eq!(r.status(), 409);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("スケジュール db がこのカレンダーを休みに使っているため削除できません"),
        "{body}"
    );
    let (_, body) = page(&server, &admin, "/holiday-calendars", "ja").await;
    assert!(
        body.contains("company") && body.contains("<td>db</td>"),
        "{body}"
    );

    // A viewer reads but changes nothing.
    let viewer = browser_as(&server, "yui", "viewer").await;
    let (status, body) = page(&server, &viewer, &location, "en").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("創立記念日") && !body.contains("/import\""),
        "{body}"
    );
    let r = post_form(
        &server,
        &viewer,
        &format!("{location}/days/2026-09-24/delete"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 403);

    // Out of the schedule, the calendar goes.
    assert_eq!(server.delete("/api/v1/schedules/db").await.status(), 204);
    let r = post_form(&server, &admin, &format!("{location}/delete"), &[]).await;
    assert_eq!(r.status(), 303);
    let all = server.get_json("/api/v1/holiday-calendars").await;
    assert!(all.as_array().unwrap().is_empty());
    assert!(server.terminate().await.success());
});

both_databases!(
    own_swaps_disabled_and_deleted_people_in_the_console,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        let aki = browser_as(&server, "aki", "responder").await;
        let chie = browser_as(&server, "chie", "responder").await;
        server.create_user("ben", "responder");
        let admin = browser_as(&server, "sato", "admin").await;
        let (aki_id, ben_id) = (user_id(&server, "aki").await, user_id(&server, "ben").await);
        let r = server.post_json("/api/v1/schedules", &serde_json::json!({"name": "db", "time_zone": "Asia/Tokyo", "layers": [
        {"name": "weekly", "participants": [aki_id, ben_id], "shift_length": {"unit": "weeks", "count": 1},
         "start": "2026-09-07T10:00:00+09:00", "handoff": "10:00"}]})).await;
        let s: Value = r.json().await.unwrap();
        let location = format!("/schedules/{}", s["id"].as_str().unwrap());
        for client in [&aki, &chie] {
            let r = post_form(
                &server,
                client,
                "/preferences",
                &[("tz", "Asia/Tokyo"), ("next", "/schedules")],
            )
            .await;
            assert_eq!(r.status(), 303);
        }

        // aki, in the schedule, may hand over her own shift and nothing more.
        let (_, body) = page(&server, &aki, &location, "en").await;
        assert!(
            body.contains("Hand over your shift")
                && body.contains("name=\"swap_from\" value=\"aki\""),
            "{body}"
        );
        assert!(!body.contains("Change the schedule"));
        let (_, body) = page(&server, &chie, &location, "en").await;
        assert!(
            !body.contains("/overrides\""),
            "chie is not in the schedule: {body}"
        );
        let overrides = format!("{location}/overrides");
        let swap = |from: &'static str, start: &'static str, end: &'static str| {
            [
                ("user", "chie"),
                ("swap_from", from),
                ("start", start),
                ("end", end),
                ("note", "通院"),
            ]
        };
        let r = post_form(
            &server,
            &aki,
            &overrides,
            &swap("aki", "2026-09-08T20:00", "2026-09-09T08:00"),
        )
        .await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        let r = post_form(
            &server,
            &aki,
            &overrides,
            &swap("aki", "2026-09-15T20:00", "2026-09-16T08:00"),
        )
        .await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("not on call throughout"));
        let r = post_form(
            &server,
            &chie,
            &overrides,
            &swap("ben", "2026-09-15T20:00", "2026-09-16T08:00"),
        )
        .await;
        assert_eq!(r.status(), 403);
        let r = post_form(
            &server,
            &aki,
            &overrides,
            &swap("", "2026-09-15T20:00", "2026-09-16T08:00"),
        )
        .await;
        assert_eq!(r.status(), 403, "an override is not aki's to make");
        let (_, body) = page(
            &server,
            &aki,
            &format!("{location}?at=2026-09-09T03:00"),
            "en",
        )
        .await;
        assert!(
            body.contains("chie is on call by a shift swap from aki"),
            "{body}"
        );

        // ben, disabled, is still named, and the page says he is not paged.
        let r = post_form(&server, &admin, &format!("/users/{ben_id}/disable"), &[]).await;
        assert_eq!(r.status(), 303);
        let (_, body) = page(
            &server,
            &admin,
            &format!("{location}?at=2026-09-15T03:00"),
            "ja",
        )
        .await;
        assert!(body.contains("ben は無効化されています"), "{body}");
        // Deleting aki is refused on her page, naming the schedule, in the admin's language.
        let r = post_form(
            &server,
            &admin,
            "/preferences",
            &[("lang", "ja"), ("next", "/users")],
        )
        .await;
        assert_eq!(r.status(), 303);
        let r = post_form(&server, &admin, &format!("/users/{aki_id}/delete"), &[]).await;
        assert_eq!(r.status(), 409);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("aki はまだ当番体制で使われています") && body.contains(": db。"),
            "{body}"
        );
        let u = server.get_json("/api/v1/users/aki").await;
        assert_eq!(u["username"], "aki");
        assert!(server.terminate().await.success());
    }
);
