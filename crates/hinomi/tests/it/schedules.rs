//! On-call schedules through the API, black-box, on both databases: a team's schedule in
//! Tokyo (a weekly rotation handing off at 10:00, a follow-the-sun night layer, weekday
//! business hours that skip Japanese public holidays and the company's own days, an
//! override for a sick colleague) asked who is on call and why; a daily rotation across
//! New York's change to daylight saving time; bad input named by field; and who may change
//! a team's schedule.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::api_v1::{assert_error, call, call_as};
use crate::audit_trail::cli;
use crate::both_databases;
use crate::harness::*;

/// Creates each user (as responders) and answers their ids by username.
async fn users(server: &Server, names: &[&str]) -> HashMap<String, String> {
    for name in names {
        server.create_user(name, "responder");
    }
    let all = server.get_json("/api/v1/users").await;
    all.as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["username"].as_str().unwrap().to_owned(),
                u["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const EVERY_DAY: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The team's schedule: weekly (aki, ben, chie; Monday 10:00), nights (lon and nyc in
/// 12-hour turns from 18:00, only 18:00-09:00), business hours (dai and emi by the day,
/// weekdays 09:00-18:00, not on Japanese holidays nor the company's `calendar` days).
fn team_schedule(ids: &HashMap<String, String>, calendar: &str) -> Value {
    let who = |names: &[&str]| names.iter().map(|n| ids[*n].clone()).collect::<Vec<_>>();
    json!({
        "name": "db primary",
        "description": "データベース当番",
        "time_zone": "Asia/Tokyo",
        "layers": [
            {"name": "weekly", "participants": who(&["aki", "ben", "chie"]),
             "shift_length": {"unit": "weeks", "count": 1},
             "start": "2026-09-07T10:00:00+09:00", "handoff": "10:00"},
            {"name": "nights", "participants": who(&["lon", "nyc"]),
             "shift_length": {"unit": "hours", "count": 12},
             "start": "2026-09-07T18:00:00+09:00", "handoff": "18:00",
             "restriction": {"windows": [{"days": EVERY_DAY, "start": "18:00", "end": "09:00"}]}},
            {"name": "business hours", "participants": who(&["dai", "emi"]),
             "shift_length": {"unit": "days", "count": 1},
             "start": "2026-09-07T09:00:00+09:00", "handoff": "09:00",
             "restriction": {"windows": [{"days": ["mon", "tue", "wed", "thu", "fri"],
                                          "start": "09:00", "end": "18:00"}],
                             "skip_japanese_holidays": true,
                             "skip_calendars": [calendar]}}
        ]
    })
}

/// `GET .../on-call?at=T` for a Tokyo wall-clock time `local` (`2026-09-15T03:00`).
async fn on_call(server: &Server, id: &str, local: &str) -> Value {
    let at = format!("{local}:00%2B09:00");
    server
        .get_json(&format!("/api/v1/schedules/{id}/on-call?at={at}"))
        .await
}

both_databases!(who_is_on_call_and_why, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let ids = users(
        &server,
        &["aki", "ben", "chie", "lon", "nyc", "dai", "emi", "fumi"],
    )
    .await;
    // The company's founding day, imported as CSV.
    let (status, cal) = call(
        &server,
        "POST",
        "/api/v1/holiday-calendars",
        Some(json!({"name": "company"})),
    )
    .await;
    assert_eq!(status, 201, "{cal}");
    let cal_id = cal["id"].as_str().unwrap().to_owned();
    let r = server
        .http
        .post(format!(
            "{}/api/v1/holiday-calendars/{cal_id}/import",
            server.url
        ))
        .header("content-type", "text/csv")
        .body("# 会社の休日\n2026-09-24,創立記念日\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cal: Value = r.json().await.unwrap();
    assert_eq!(
        cal["days"],
        json!([{"date": "2026-09-24", "name": "創立記念日"}])
    );

    let (status, created) = call(
        &server,
        "POST",
        "/api/v1/schedules",
        Some(team_schedule(&ids, &cal_id)),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created["layers"][2]["restriction"]["skip_calendars"][0],
        cal_id
    );
    let listed = server.get_json("/api/v1/schedules").await;
    assert_eq!(listed[0]["name"], "db primary");
    assert_eq!(
        server.get_json("/api/v1/schedules/db%20primary").await["id"],
        id.as_str()
    );

    // Next Tuesday 03:00: the night layer, lon's turn, in the window opened Monday 18:00;
    // business hours passed over, outside their windows.
    let a = on_call(&server, &id, "2026-09-15T03:00").await;
    assert_eq!(a["user"]["username"], "lon", "{a}");
    assert_eq!(a["reason"]["kind"], "layer");
    assert_eq!(a["reason"]["layer"], json!({"index": 1, "name": "nights"}));
    assert_eq!(
        a["reason"]["shift"],
        json!({"number": 15, "start": "2026-09-14T09:00:00.000Z", "end": "2026-09-14T21:00:00.000Z"})
    );
    assert_eq!(a["reason"]["window"]["start"], "18:00");
    assert_eq!(
        a["reason"]["window"]["opened_at"],
        "2026-09-14T09:00:00.000Z"
    );
    assert_eq!(
        a["passed_over"],
        json!([{"layer": {"index": 2, "name": "business hours"}, "why": "outside_windows"}])
    );
    let en = a["explanation"]["en"].to_string();
    assert!(
        en.contains("lon is on call in layer “nights”: shift 15")
            && en.contains("2026-09-14 18:00 JST"),
        "{en}"
    );
    assert!(
        a["explanation"]["ja"][0]
            .as_str()
            .unwrap()
            .contains("レイヤー「nights」"),
        "{a}"
    );

    // lon is sick that night: fumi covers, above every layer.
    let (status, o) = call(
        &server,
        "POST",
        &format!("/api/v1/schedules/{id}/overrides"),
        Some(
            json!({"user_id": ids["fumi"], "start": "2026-09-14T18:00:00+09:00",
                    "end": "2026-09-15T06:00:00+09:00", "note": "lon は病欠"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{o}");
    assert_eq!(o["kind"], "override");
    let a = on_call(&server, &id, "2026-09-15T03:00").await;
    assert_eq!(a["user"]["username"], "fumi", "{a}");
    assert_eq!(a["reason"]["kind"], "override");
    assert_eq!(a["reason"]["override"]["note"], "lon は病欠");
    assert_eq!(a["passed_over"], json!([]));
    assert!(
        a["explanation"]["en"][0]
            .as_str()
            .unwrap()
            .starts_with("fumi is on call by an override"),
        "{a}"
    );

    // Tuesday's timeline: fumi, then nyc until business hours, dai's day, lon's night.
    let day = server
        .get_json(&format!(
            "/api/v1/schedules/{id}/shifts?from=2026-09-15T00:00:00%2B09:00&to=2026-09-16T00:00:00%2B09:00"
        ))
        .await;
    let got: Vec<(String, String, String)> = day["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["user"]["username"].as_str().unwrap().to_owned(),
                s["start"].as_str().unwrap().to_owned(),
                s["source"]["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        ("fumi", "2026-09-14T15:00:00.000Z", "override"),
        ("nyc", "2026-09-14T21:00:00.000Z", "layer"),
        ("dai", "2026-09-15T00:00:00.000Z", "layer"),
        ("lon", "2026-09-15T09:00:00.000Z", "layer"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(u, s, k)| (u.to_string(), s.to_string(), k.to_string()))
        .collect();
    assert_eq!(got, want);

    // A Japanese holiday (2026-09-22, 国民の休日) and the company's day shut business
    // hours: the weekly layer answers at noon (chie's week), and says why.
    let a = on_call(&server, &id, "2026-09-22T12:00").await;
    assert_eq!(a["user"]["username"], "chie", "{a}");
    assert_eq!(a["reason"]["layer"]["name"], "weekly");
    assert_eq!(
        a["passed_over"][0],
        json!({"layer": {"index": 2, "name": "business hours"}, "why": "holiday",
               "holiday": {"date": "2026-09-22", "kind": "japanese",
                           "name_ja": "国民の休日", "name_en": "Citizens' Holiday"}})
    );
    assert_eq!(a["passed_over"][1]["why"], "outside_windows");
    assert!(
        a["explanation"]["ja"].to_string().contains("国民の休日"),
        "{a}"
    );
    let a = on_call(&server, &id, "2026-09-24T12:00").await;
    assert_eq!(a["user"]["username"], "chie", "{a}");
    assert_eq!(a["passed_over"][0]["holiday"]["kind"], "company");
    assert_eq!(a["passed_over"][0]["holiday"]["name_en"], "創立記念日");
    let a = on_call(&server, &id, "2026-09-25T12:00").await;
    assert_eq!(a["user"]["username"], "dai", "{a}");

    // A shift swap: nyc hands Wednesday morning's 06:00-09:00 to lon; it must be nyc's.
    let (status, err) = call(
        &server,
        "POST",
        &format!("/api/v1/schedules/{id}/overrides"),
        Some(json!({"user_id": ids["lon"], "swapped_from": ids["dai"],
                    "start": "2026-09-16T06:00:00+09:00", "end": "2026-09-16T09:00:00+09:00"})),
    )
    .await;
    assert_error(&(status, err), 400, "invalid_field", Some("swapped_from"));
    let (status, swap) = call(
        &server,
        "POST",
        &format!("/api/v1/schedules/{id}/overrides"),
        Some(json!({"user_id": ids["lon"], "swapped_from": ids["nyc"],
                    "start": "2026-09-16T06:00:00+09:00", "end": "2026-09-16T09:00:00+09:00",
                    "note": "交代"})),
    )
    .await;
    assert_eq!(status, 201, "{swap}");
    assert_eq!(swap["kind"], "swap");
    assert_eq!(swap["swapped_from"]["username"], "nyc");
    let a = on_call(&server, &id, "2026-09-16T07:00").await;
    assert_eq!(a["user"]["username"], "lon");
    assert!(
        a["explanation"]["en"][0]
            .as_str()
            .unwrap()
            .contains("by a shift swap from nyc"),
        "{a}"
    );
    // Removing the swap gives the time back.
    let swap_id = swap["id"].as_str().unwrap();
    let (status, _) = call(
        &server,
        "DELETE",
        &format!("/api/v1/schedules/{id}/overrides/{swap_id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        on_call(&server, &id, "2026-09-16T07:00").await["user"]["username"],
        "nyc"
    );

    // The calendar is in use; the changes are audited.
    let (status, err) = call(
        &server,
        "DELETE",
        &format!("/api/v1/holiday-calendars/{cal_id}"),
        None,
    )
    .await;
    assert_eq!(status, 409, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("db primary")
    );
    let audit = server.get_json("/api/v1/audit?action=schedule.").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "schedule.override_removed",
            "schedule.swap_added",
            "schedule.override_added",
            "schedule.created"
        ]
    );
    // Deleted with its overrides, then the calendar may go.
    let (status, _) = call(&server, "DELETE", &format!("/api/v1/schedules/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = call(
        &server,
        "DELETE",
        &format!("/api/v1/holiday-calendars/{cal_id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(&server, "GET", &format!("/api/v1/schedules/{id}"), None).await;
    assert_eq!(status, 404);
    assert!(server.terminate().await.success());
});

both_databases!(new_york_across_daylight_saving, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let ids = users(&server, &["ana", "bo"]).await;
    let (status, s) = call(
        &server,
        "POST",
        "/api/v1/schedules",
        Some(
            json!({"name": "ny", "time_zone": "America/New_York", "layers": [
            {"name": "daily", "participants": [ids["ana"], ids["bo"]],
             "shift_length": {"unit": "days", "count": 1},
             "start": "2026-03-07T10:00:00-05:00", "handoff": "10:00"}]}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{s}");
    // Clocks go forward on 2026-03-08: the handoff stays at 10:00 local, so ana's shift
    // is 23 hours long and bo's begins at 14:00 UTC instead of 15:00.
    let shifts = server
        .get_json("/api/v1/schedules/ny/shifts?from=2026-03-07T15:00:00Z&to=2026-03-10T15:00:00Z")
        .await;
    let bounds: Vec<(&str, &str, &str)> = shifts["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["user"]["username"].as_str().unwrap(),
                s["start"].as_str().unwrap(),
                s["end"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        bounds,
        [
            (
                "ana",
                "2026-03-07T15:00:00.000Z",
                "2026-03-08T14:00:00.000Z"
            ),
            ("bo", "2026-03-08T14:00:00.000Z", "2026-03-09T14:00:00.000Z"),
            (
                "ana",
                "2026-03-09T14:00:00.000Z",
                "2026-03-10T14:00:00.000Z"
            ),
            ("bo", "2026-03-10T14:00:00.000Z", "2026-03-10T15:00:00.000Z"),
        ]
    );
    let a = server
        .get_json("/api/v1/schedules/ny/on-call?at=2026-03-08T13:59:00Z")
        .await;
    assert_eq!(a["user"]["username"], "ana");
    assert_eq!(a["time_zone"], "America/New_York");
    assert!(
        a["explanation"]["en"][0]
            .as_str()
            .unwrap()
            .contains("2026-03-08 10:00 EDT"),
        "{a}"
    );
    assert!(server.terminate().await.success());
});

both_databases!(bad_input_is_named_by_field, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let ids = users(&server, &["aki"]).await;
    let good = || {
        json!({"name": "s", "time_zone": "Asia/Tokyo", "layers": [
            {"name": "weekly", "participants": [ids["aki"]],
             "shift_length": {"unit": "weeks", "count": 1},
             "start": "2026-09-07T10:00:00+09:00", "handoff": "10:00",
             "restriction": {"windows": [{"days": ["mon"], "start": "09:00", "end": "18:00"}]}}]})
    };
    // (the field named, where in the body, the bad value)
    let w = "/layers/0/restriction";
    let cases = [
        ("time_zone", "/time_zone".to_owned(), json!("Asia/Nowhere")),
        (
            "layers[0].participants[0]",
            "/layers/0/participants/0".to_owned(),
            json!("no-such-user"),
        ),
        (
            "layers[0].participants",
            "/layers/0/participants".to_owned(),
            json!([]),
        ),
        (
            "layers[0].shift_length.count",
            "/layers/0/shift_length/count".to_owned(),
            json!(0),
        ),
        (
            "layers[0].shift_length.unit",
            "/layers/0/shift_length/unit".to_owned(),
            json!("months"),
        ),
        (
            "layers[0].handoff",
            "/layers/0/handoff".to_owned(),
            json!("10am"),
        ),
        (
            "layers[0].start",
            "/layers/0/start".to_owned(),
            json!("next monday"),
        ),
        (
            "layers[0].restriction.windows[0].days[0]",
            format!("{w}/windows/0/days/0"),
            json!("月"),
        ),
        (
            "layers[0].restriction.windows[0].end",
            format!("{w}/windows/0/end"),
            json!("25:00"),
        ),
        (
            "layers[0].restriction.skip_calendars[0]",
            format!("{w}/skip_calendars"),
            json!(["nope"]),
        ),
        ("name", "/name".to_owned(), json!(" ")),
        ("team", "/team".to_owned(), json!("no-such-team")),
    ];
    for (field, pointer, value) in cases {
        let mut body = good();
        match body.pointer_mut(&pointer) {
            Some(slot) => *slot = value,
            None => {
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                body.pointer_mut(parent).unwrap()[key] = value;
            }
        }
        let got = call(&server, "POST", "/api/v1/schedules", Some(body)).await;
        assert_error(&got, 400, "invalid_field", Some(field));
    }
    assert!(
        server
            .get_json("/api/v1/schedules")
            .await
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing refused was stored"
    );
    let unknown = call(
        &server,
        "POST",
        "/api/v1/schedules",
        Some(json!({"name": "x", "time_zone": "UTC", "layers": [], "colour": "red"})),
    )
    .await;
    assert_error(&unknown, 400, "bad_request", Some("body"));

    let (status, s) = call(&server, "POST", "/api/v1/schedules", Some(good())).await;
    assert_eq!(status, 201, "{s}");
    let dup = call(&server, "POST", "/api/v1/schedules", Some(good())).await;
    assert_error(&dup, 409, "conflict", None);
    let patch = call(
        &server,
        "PATCH",
        "/api/v1/schedules/s",
        Some(json!({"time_zone": "Mars/Olympus"})),
    )
    .await;
    assert_error(&patch, 400, "invalid_field", Some("time_zone"));

    let over = |body: Value| call(&server, "POST", "/api/v1/schedules/s/overrides", Some(body));
    let o = json!({"user_id": ids["aki"], "start": "2026-09-15T10:00:00Z", "end": "2026-09-15T09:00:00Z"});
    assert_error(&over(o).await, 400, "invalid_field", Some("end"));
    let o = json!({"user_id": "nobody", "start": "2026-09-15T10:00:00Z", "end": "2026-09-16T09:00:00Z"});
    assert_error(&over(o).await, 400, "invalid_field", Some("user_id"));
    let o = json!({"user_id": ids["aki"], "start": "yesterday", "end": "2026-09-16T09:00:00Z"});
    assert_error(&over(o).await, 400, "invalid_field", Some("start"));
    let o = json!({"user_id": ids["aki"], "start": "2026-01-01T00:00:00Z", "end": "2027-06-01T00:00:00Z"});
    assert_error(&over(o).await, 400, "invalid_field", Some("end"));
    let o = json!({"user_id": ids["aki"], "swapped_from": ids["aki"],
                   "start": "2026-09-15T10:00:00Z", "end": "2026-09-16T09:00:00Z"});
    assert_error(&over(o).await, 400, "invalid_field", Some("user_id"));

    assert_error(
        &call(
            &server,
            "GET",
            "/api/v1/schedules/s/on-call?at=tuesday",
            None,
        )
        .await,
        400,
        "invalid_field",
        Some("at"),
    );
    assert_error(
        &call(
            &server,
            "GET",
            "/api/v1/schedules/s/shifts?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z",
            None,
        )
        .await,
        400,
        "invalid_field",
        Some("to"),
    );
    assert_error(
        &call(
            &server,
            "GET",
            "/api/v1/schedules/s/shifts?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
            None,
        )
        .await,
        400,
        "invalid_field",
        Some("to"),
    );
    assert_error(
        &call(&server, "GET", "/api/v1/schedules/nope/on-call", None).await,
        404,
        "not_found",
        None,
    );

    // Holiday calendars: bad days and bad imports name the field and line.
    let c = call(
        &server,
        "POST",
        "/api/v1/holiday-calendars",
        Some(json!({"name": "c", "days": [{"date": "2026-02-30", "name": "x"}]})),
    )
    .await;
    assert_error(&c, 400, "invalid_field", Some("days[0].date"));
    let (status, _) = call(
        &server,
        "POST",
        "/api/v1/holiday-calendars",
        Some(json!({"name": "c"})),
    )
    .await;
    assert_eq!(status, 201);
    for (content_type, body, line) in [
        ("text/csv", "2026-12-29,ok\n29/12/2026,bad\n", "line 2"),
        (
            "text/calendar",
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261229T090000Z\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n",
            "line 3",
        ),
    ] {
        let r = server
            .http
            .post(format!("{}/api/v1/holiday-calendars/c/import", server.url))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let err: Value = r.json().await.unwrap();
        assert_eq!(err["error"]["field"], "body");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(line),
            "{err}"
        );
    }
    // An iCalendar export of all-day events imports, replacing what was there.
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261229\r\n\
               DTEND;VALUE=DATE:20261231\r\nSUMMARY:年末休暇\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let r = server
        .http
        .post(format!(
            "{}/api/v1/holiday-calendars/c/import?replace=true",
            server.url
        ))
        .header("content-type", "text/calendar")
        .body(ics)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let c: Value = r.json().await.unwrap();
    assert_eq!(
        c["days"],
        json!([{"date": "2026-12-29", "name": "年末休暇"}, {"date": "2026-12-30", "name": "年末休暇"}])
    );
    assert!(server.terminate().await.success());
});

both_databases!(
    a_team_responder_changes_the_team_schedules,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        let ids = users(&server, &["aki"]).await;
        server.create_user("kenji", "viewer");
        server.create_user("aya", "responder");
        let kenji = server.create_token("kenji", None);
        let aya = server.create_token("aya", None);
        for team in ["db", "web"] {
            let (status, _) = call(
                &server,
                "POST",
                "/api/v1/teams",
                Some(json!({"name": team})),
            )
            .await;
            assert_eq!(status, 201);
        }
        let (status, _) = call(
            &server,
            "PUT",
            "/api/v1/teams/db/members/kenji",
            Some(json!({"role": "responder"})),
        )
        .await;
        assert_eq!(status, 200);
        let schedule = |name: &str, team: Option<&str>| {
            json!({"name": name, "team": team, "time_zone": "Asia/Tokyo", "layers": [
            {"name": "weekly", "participants": [ids["aki"]],
             "shift_length": {"unit": "weeks", "count": 1},
             "start": "2026-09-07T10:00:00+09:00", "handoff": "10:00"}]})
        };
        // kenji, a viewer, responds for team db: he makes and changes db's schedules only.
        let got = call_as(
            &server,
            &kenji,
            "POST",
            "/api/v1/schedules",
            Some(schedule("db", Some("db"))),
        )
        .await;
        assert_eq!(got.0, 201, "{}", got.1);
        let got = call_as(
            &server,
            &kenji,
            "POST",
            "/api/v1/schedules",
            Some(schedule("none", None)),
        )
        .await;
        assert_error(&got, 403, "forbidden", None);
        let (status, _) = call(
            &server,
            "POST",
            "/api/v1/schedules",
            Some(schedule("web", Some("web"))),
        )
        .await;
        assert_eq!(status, 201);
        let o = json!({"user_id": ids["aki"], "start": "2026-09-15T10:00:00Z", "end": "2026-09-16T09:00:00Z"});
        let got = call_as(
            &server,
            &kenji,
            "POST",
            "/api/v1/schedules/db/overrides",
            Some(o.clone()),
        )
        .await;
        assert_eq!(got.0, 201, "{}", got.1);
        let got = call_as(
            &server,
            &kenji,
            "POST",
            "/api/v1/schedules/web/overrides",
            Some(o.clone()),
        )
        .await;
        assert_error(&got, 403, "forbidden", None);
        // Moving db's schedule to web needs the right in both teams.
        let got = call_as(
            &server,
            &kenji,
            "PATCH",
            "/api/v1/schedules/db",
            Some(json!({"team": "web"})),
        )
        .await;
        assert_error(&got, 403, "forbidden", None);
        let got = call_as(
            &server,
            &kenji,
            "PATCH",
            "/api/v1/schedules/db",
            Some(json!({"description": "DB"})),
        )
        .await;
        assert_eq!(got.0, 200, "{}", got.1);
        // aya is a responder, but of no team: schedules are not hers to change.
        let got = call_as(&server, &aya, "DELETE", "/api/v1/schedules/db", None).await;
        assert_error(&got, 403, "forbidden", None);
        // Holiday calendars belong to the whole installation.
        let got = call_as(
            &server,
            &kenji,
            "POST",
            "/api/v1/holiday-calendars",
            Some(json!({"name": "c"})),
        )
        .await;
        assert_error(&got, 403, "forbidden", None);
        // Everyone reads.
        let got = call_as(&server, &aya, "GET", "/api/v1/schedules/web/on-call", None).await;
        assert_eq!(got.0, 200, "{}", got.1);
        let got = call_as(&server, &kenji, "DELETE", "/api/v1/schedules/db", None).await;
        assert_eq!(got.0, 204, "{}", got.1);
        assert!(server.terminate().await.success());
    }
);

both_databases!(a_signed_ical_feed_per_user, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let ids = users(&server, &["aki", "ben"]).await;
    let aki = server.create_token("aki", None);
    // Weekly turns from yesterday: aki now, ben next week, and so on.
    let start = api_time(now_ms() - 86_400_000);
    let (status, s) = call(
        &server,
        "POST",
        "/api/v1/schedules",
        Some(
            json!({"name": "データベース基盤チームの一次対応ローテーション（東京）",
            "time_zone": "Asia/Tokyo", "layers": [
            {"name": "weekly", "participants": [ids["aki"], ids["ben"]],
             "shift_length": {"unit": "weeks", "count": 1},
             "start": start, "handoff": "10:00"}]}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{s}");
    let (status, me) = call_as(&server, &aki, "GET", "/api/v1/me/ical", None).await;
    assert_eq!(status, 200, "{me}");
    // The URL starts with the external URL; this server listens elsewhere.
    let url = me["url"].as_str().unwrap();
    let path = &url[url.find("/ical/").unwrap()..];
    assert!(path.starts_with(&format!("/ical/{}/", ids["aki"])) && path.ends_with(".ics"));
    let fetch = |path: String| {
        let client = server.anonymous();
        let url = format!("{}{path}", server.url);
        async move { client.get(url).send().await.unwrap() }
    };

    let r = fetch(path.to_owned()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/calendar; charset=utf-8");
    let body = r.text().await.unwrap();
    assert!(
        body.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{body}"
    );
    assert!(body.ends_with("END:VCALENDAR\r\n"));
    let lines: Vec<&str> = body.split("\r\n").collect();
    assert!(
        lines.iter().all(|l| l.len() <= 75 && !l.contains('\n')),
        "{body}"
    );
    let unfolded = body.replace("\r\n ", "");
    let events = unfolded.matches("BEGIN:VEVENT").count();
    assert!(
        (4..=5).contains(&events),
        "aki's weeks in 60 days: {events}\n{body}"
    );
    for field in ["UID:", "DTSTAMP:", "DTSTART:", "DTEND:"] {
        assert_eq!(
            unfolded.matches(&format!("\r\n{field}")).count(),
            events,
            "{field}"
        );
    }
    assert!(
        unfolded
            .contains("SUMMARY:オンコール: データベース基盤チームの一次対応ローテーション（東京）"),
        "Japanese by default: {unfolded}"
    );
    let dtstart = unfolded
        .split("\r\nDTSTART:")
        .nth(1)
        .unwrap()
        .split("\r\n")
        .next()
        .unwrap();
    assert!(
        dtstart.len() == 16 && dtstart.ends_with('Z'),
        "UTC: {dtstart}"
    );
    // In English once aki chooses it.
    let (status, _) = call_as(
        &server,
        &aki,
        "PATCH",
        "/api/v1/me",
        Some(json!({"locale": "en"})),
    )
    .await;
    assert_eq!(status, 200);
    let body = fetch(path.to_owned()).await.text().await.unwrap();
    assert!(
        body.replace("\r\n ", "").contains("SUMMARY:On call: "),
        "{body}"
    );

    // A wrong signature, someone else's id or a missing suffix: not found, all alike.
    let signature = &path[path.rfind('/').unwrap() + 1..path.len() - 4];
    let mut forged = signature.to_owned();
    forged.replace_range(0..1, if signature.starts_with('0') { "1" } else { "0" });
    for bad in [
        format!("/ical/{}/{forged}.ics", ids["aki"]),
        format!("/ical/{}/{signature}.ics", ids["ben"]),
        format!("/ical/{}/{signature}", ids["aki"]),
        format!("/ical/nobody/{signature}.ics"),
    ] {
        assert_eq!(fetch(bad.clone()).await.status(), 404, "{bad}");
    }

    // Rotating gives a new URL and ends the old one.
    let (status, rotated) = call_as(&server, &aki, "POST", "/api/v1/me/ical/rotate", None).await;
    assert_eq!(status, 200, "{rotated}");
    let new_url = rotated["url"].as_str().unwrap();
    assert_ne!(new_url, url);
    let new_path = &new_url[new_url.find("/ical/").unwrap()..];
    assert_eq!(fetch(path.to_owned()).await.status(), 404);
    assert_eq!(fetch(new_path.to_owned()).await.status(), 200);
    let (_, again) = call_as(&server, &aki, "GET", "/api/v1/me/ical", None).await;
    assert_eq!(again["url"], new_url);
    // The signing key lives in the database: the URL outlives a restart.
    let (database_url, dir) = (server.database_url.clone(), server.dir.clone());
    assert!(server.terminate().await.success());
    let server = Server::start_on(database_url, dir, Options::default()).await;
    let r = server
        .anonymous()
        .get(format!("{}{new_path}", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(server.terminate().await.success());
});

/// `hinomi schedule override db --user U --start S --end E` and `extra` arguments.
fn override_args<'a>(
    user: &'a str,
    start: &'a str,
    end: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "schedule", "override", "db", "--user", user, "--start", start, "--end", end,
    ];
    args.extend_from_slice(extra);
    args
}

both_databases!(the_cli_manages_schedules, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let url = server.database_url.clone();
    users(&server, &["aki", "ben", "fumi"]).await;
    // The API's JSON, participants by username.
    let file = server.dir.path().join("schedule.json");
    let mut body = json!({"name": "db", "time_zone": "Asia/Tokyo", "layers": [
        {"name": "weekly", "participants": ["aki", "ben"],
         "shift_length": {"unit": "weeks", "count": 1},
         "start": "2026-09-07T10:00:00+09:00", "handoff": "10:00"}]});
    let write = |v: &Value| std::fs::write(&file, v.to_string()).unwrap();
    let path = file.display().to_string();

    // Bad input: a clear message naming the field, a non-zero exit, nothing stored.
    body["layers"][0]["handoff"] = "10時".into();
    write(&body);
    let (ok, _, err) = cli(&url, &["schedule", "create", "--file", &path]).await;
    assert!(!ok && err.contains("layers[0].handoff"), "{err}");
    body["layers"][0]["handoff"] = "10:00".into();
    body["layers"][0]["participants"][1] = "nobody".into();
    write(&body);
    let (ok, _, err) = cli(&url, &["schedule", "create", "--file", &path]).await;
    assert!(!ok && err.contains("layers[0].participants[1]"), "{err}");
    let (ok, _, err) = cli(&url, &["schedule", "create", "--file", "/nonexistent.json"]).await;
    assert!(!ok && err.contains("cannot read"), "{err}");
    body["layers"][0]["participants"][1] = "ben".into();
    write(&body);
    let (ok, out, err) = cli(&url, &["schedule", "create", "--file", &path]).await;
    assert!(ok, "{err}");
    assert!(out.contains("schedule \"db\" created"), "{out}");
    let (ok, _, err) = cli(&url, &["schedule", "create", "--file", &path]).await;
    assert!(!ok && err.contains("exists already"), "{err}");

    let (ok, out, _) = cli(&url, &["schedule", "list"]).await;
    assert!(
        ok && out.contains("db") && out.contains("Asia/Tokyo"),
        "{out}"
    );
    let (ok, out, _) = cli(&url, &["schedule", "show", "db"]).await;
    assert!(
        ok && out.contains("aki, ben in turn, 1 weeks, handoff 10:00"),
        "{out}"
    );

    // Who, and why; in Japanese on request.
    let at = "2026-09-15T03:00:00+09:00";
    let (ok, out, err) = cli(&url, &["schedule", "who", "db", "--at", at, "--lang", "en"]).await;
    assert!(ok, "{err}");
    assert!(out.starts_with("ben (2026-09-15 03:00 JST)"), "{out}");
    assert!(
        out.contains("layer “weekly”: shift 2 of its rotation"),
        "{out}"
    );
    let (ok, out, _) = cli(&url, &["schedule", "who", "db", "--at", at, "--lang", "ja"]).await;
    assert!(ok && out.contains("レイヤー「weekly」"), "{out}");
    let (ok, _, err) = cli(&url, &["schedule", "who", "db", "--at", "next tuesday"]).await;
    assert!(!ok && err.contains("--at"), "{err}");
    let (ok, _, err) = cli(&url, &["schedule", "who", "nope"]).await;
    assert!(!ok && err.contains("no schedule \"nope\""), "{err}");

    // An override, then the shifts show it.
    let (ok, _, err) = cli(
        &url,
        &override_args("fumi", at, "2026-09-15T02:00:00+09:00", &[]),
    )
    .await;
    assert!(!ok && err.contains("--end"), "{err}");
    let (ok, _, err) = cli(
        &url,
        &override_args("nobody", at, "2026-09-15T09:00:00+09:00", &[]),
    )
    .await;
    assert!(!ok && err.contains("--user: no user \"nobody\""), "{err}");
    let (from, to) = ("2026-09-15T00:00:00+09:00", "2026-09-15T09:00:00+09:00");
    let args = override_args("fumi", from, to, &["--note", "ben は病欠"]);
    let (ok, out, err) = cli(&url, &args).await;
    assert!(ok, "{err}");
    assert!(out.contains("fumi is on call in \"db\""), "{out}");
    let (ok, out, err) = cli(
        &url,
        &[
            "schedule",
            "shifts",
            "db",
            "--from",
            "2026-09-14T12:00:00+09:00",
            "--to",
            "2026-09-15T12:00:00+09:00",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 3, "{out}");
    assert!(
        rows[0].starts_with("2026-09-14 12:00 JST  2026-09-15 00:00 JST  ben"),
        "{out}"
    );
    assert!(
        rows[1].contains("fumi") && rows[1].ends_with("override"),
        "{out}"
    );
    assert!(
        rows[2].starts_with("2026-09-15 09:00 JST  2026-09-15 12:00 JST  ben"),
        "{out}"
    );
    let (ok, _, err) = cli(
        &url,
        &[
            "schedule",
            "shifts",
            "db",
            "--from",
            "2026-01-01T00:00:00Z",
            "--to",
            "2026-12-01T00:00:00Z",
        ],
    )
    .await;
    assert!(
        !ok && err.contains("--to") && err.contains("93 days"),
        "{err}"
    );

    // Changes are audited as the operator's.
    let audit: Value = server.get_json("/api/v1/audit?action=schedule.").await;
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert!(
        entries.iter().all(|e| e["actor"]["kind"] == "cli"),
        "{audit}"
    );
    let (ok, out, _) = cli(&url, &["schedule", "delete", "db"]).await;
    assert!(ok && out.contains("deleted"), "{out}");
    let (ok, _, err) = cli(&url, &["schedule", "delete", "db"]).await;
    assert!(!ok && err.contains("no schedule"), "{err}");
    assert!(server.terminate().await.success());
});

/// A weekly schedule `name` of `participants` (user ids) from Monday 2026-09-07 10:00 Tokyo.
fn weekly(name: &str, participants: &[&str]) -> Value {
    json!({"name": name, "time_zone": "Asia/Tokyo", "layers": [
        {"name": "weekly", "participants": participants,
         "shift_length": {"unit": "weeks", "count": 1},
         "start": "2026-09-07T10:00:00+09:00", "handoff": "10:00"}]})
}

both_databases!(
    people_still_on_call_are_not_deleted_and_disabled_ones_not_paged,
    |db| async move {
        let Some(server) = Server::start(db, Options::default()).await else {
            return;
        };
        let ids = users(&server, &["aki", "ben", "chie", "dai", "fumi", "gen"]).await;
        let url = server.database_url.clone();
        let r = server
            .post_json(
                "/api/v1/schedules",
                &weekly("db", &[&ids["aki"], &ids["ben"]]),
            )
            .await;
        assert_eq!(r.status(), 201);
        let (status, _) = call(
            &server,
            "POST",
            "/api/v1/escalation-policies",
            Some(json!({"name": "db-policy", "repeat": 0, "steps": [
                {"delay": "5m", "targets": [{"type": "user", "name": "chie"}]}]})),
        )
        .await;
        assert_eq!(status, 201);
        // aki names dai as backup.
        let aki = server.create_token("aki", None);
        let (status, _) = call_as(
            &server,
            &aki,
            "PUT",
            "/api/v1/me/backup",
            Some(json!({"user": "dai"})),
        )
        .await;
        assert_eq!(status, 200);
        // fumi covers a night still to come; gen covered one long past.
        let future = now_ms() + 86_400_000;
        for (user, start) in [("fumi", future), ("gen", 1_000_000_000_000)] {
            let (status, body) = call(
                &server,
                "POST",
                "/api/v1/schedules/db/overrides",
                Some(json!({"user_id": ids[user], "start": api_time(start),
                            "end": api_time(start + 3_600_000)})),
            )
            .await;
            assert_eq!(status, 201, "{body}");
        }

        // Each is refused with 409, naming what still uses them; nothing changes.
        for (user, named) in [
            ("aki", "schedules [\"db\"]"),
            ("fumi", "schedules [\"db\"]"),
            ("chie", "escalation policies [\"db-policy\"]"),
            ("dai", "the backup responder setting of [\"aki\"]"),
        ] {
            let got = call(&server, "DELETE", &format!("/api/v1/users/{user}"), None).await;
            assert_error(&got, 409, "user_in_use", None);
            let message = got.1["error"]["message"].as_str().unwrap();
            assert!(message.contains(named), "{user}: {message}");
        }
        let (ok, _, err) = cli(&url, &["user", "delete", "aki"]).await;
        assert!(!ok && err.contains("schedules [\"db\"]"), "{err}");
        for user in ["aki", "chie", "dai", "fumi"] {
            let u = server.get_json(&format!("/api/v1/users/{user}")).await;
            assert_eq!(u["username"], user, "{u}");
        }
        // An override long ended holds nobody back.
        let (status, _) = call(&server, "DELETE", "/api/v1/users/gen", None).await;
        assert_eq!(status, 204);
        // Taken out of the schedule, aki goes (with her backup setting: dai is free too).
        let r = server
            .http
            .patch(format!("{}/api/v1/schedules/db", server.url))
            .json(&json!({"layers": weekly("db", &[&ids["ben"]])["layers"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let (ok, _, err) = cli(&url, &["user", "delete", "aki"]).await;
        assert!(ok, "{err}");
        let skills = json!({"skills": ["postgres"]});
        let path = "/api/v1/users/dai/skills";
        assert_eq!(call(&server, "PUT", path, Some(skills)).await.0, 200);
        let (status, _) = call(&server, "DELETE", "/api/v1/users/dai", None).await;
        assert_eq!(status, 204);
        // What was dai's own went with dai.
        let store = crate::paging::database(&server).await;
        assert!(store.skills(&ids["dai"]).await.unwrap().is_empty());
        store.close().await;
        let audit = server.get_json("/api/v1/audit?action=user.deleted").await;
        let actors: Vec<&str> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["actor"]["kind"].as_str().unwrap())
            .collect();
        assert_eq!(actors.len(), 3, "{audit}");
        assert!(actors.contains(&"cli"), "{audit}");

        // A disabled person stays on call, and the answer says they are not paged.
        let r = server
            .http
            .patch(format!("{}/api/v1/users/ben", server.url))
            .json(&json!({"disabled": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let answer = on_call(&server, "db", "2026-09-15T03:00").await;
        assert_eq!(answer["user"]["username"], "ben", "{answer}");
        assert_eq!(answer["user"]["disabled"], true, "{answer}");
        let en = answer["explanation"]["en"].to_string();
        assert!(
            en.contains("ben is disabled: escalation does not page them"),
            "{en}"
        );
        let ja = answer["explanation"]["ja"].to_string();
        assert!(ja.contains("ben は無効化されています"), "{ja}");
        let (ok, out, _) = cli(
            &url,
            &[
                "schedule",
                "who",
                "db",
                "--at",
                "2026-09-15T03:00:00+09:00",
                "--lang",
                "en",
            ],
        )
        .await;
        assert!(ok && out.contains("ben is disabled"), "{out}");
        assert!(server.terminate().await.success());
    }
);

both_databases!(a_person_swaps_away_their_own_shift, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    // Responders in no team: none of them may manage the schedule.
    let ids = users(&server, &["aki", "ben", "chie"]).await;
    let r = server
        .post_json(
            "/api/v1/schedules",
            &weekly("db", &[&ids["aki"], &ids["ben"]]),
        )
        .await;
    assert_eq!(r.status(), 201);
    let (aki, chie) = (
        server.create_token("aki", None),
        server.create_token("chie", None),
    );
    // ben's week is 2026-09-14 10:00 to 09-21 10:00 Tokyo.
    let swap = |from: &str, to: &str, start: &str, end: &str| {
        json!({"user_id": ids[to], "swapped_from": ids[from],
               "start": format!("{start}+09:00"), "end": format!("{end}+09:00")})
    };
    let path = "/api/v1/schedules/db/overrides";
    // The giver, for their own time: allowed without the right to manage schedules.
    let mine = swap("aki", "chie", "2026-09-08T20:00:00", "2026-09-09T08:00:00");
    let (status, body) = call_as(&server, &aki, "POST", path, Some(mine.clone())).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["kind"], "swap");
    assert!(
        body["created_by"].as_str().unwrap().starts_with("aki"),
        "{body}"
    );
    // Time that is not theirs: refused, naming the field.
    let not_mine = swap("aki", "chie", "2026-09-15T20:00:00", "2026-09-16T08:00:00");
    let got = call_as(&server, &aki, "POST", path, Some(not_mine)).await;
    assert_error(&got, 400, "invalid_field", Some("swapped_from"));
    // A third person without the right: refused, for someone else's time and as taker.
    let bens = swap("ben", "chie", "2026-09-15T20:00:00", "2026-09-16T08:00:00");
    let got = call_as(&server, &chie, "POST", path, Some(bens.clone())).await;
    assert_error(&got, 403, "forbidden", None);
    // Nor is a plain override one's own to make.
    let cover = json!({"user_id": ids["aki"], "start": "2026-09-15T20:00:00+09:00",
                       "end": "2026-09-16T08:00:00+09:00"});
    let got = call_as(&server, &aki, "POST", path, Some(cover)).await;
    assert_error(&got, 403, "forbidden", None);
    let stored = server.get_json("/api/v1/schedules/db").await;
    assert_eq!(stored["overrides"].as_array().unwrap().len(), 1, "{stored}");
    // chie is on call in aki's night, by aki's swap.
    let answer = on_call(&server, "db", "2026-09-09T03:00").await;
    assert_eq!(answer["user"]["username"], "chie", "{answer}");
    // The admin still swaps anyone's time.
    let (status, _) = call(&server, "POST", path, Some(bens)).await;
    assert_eq!(status, 201);
    let audit = server
        .get_json("/api/v1/audit?action=schedule.swap_added")
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 2, "{audit}");
    assert!(server.terminate().await.success());
});

both_databases!(the_cli_manages_holiday_calendars, |db| async move {
    let Some(server) = Server::start(db, Options::default()).await else {
        return;
    };
    let url = server.database_url.clone();
    let ids = users(&server, &["dai"]).await;
    let csv = server.dir.path().join("days.csv");
    std::fs::write(
        &csv,
        "# 会社の休日\n2026-12-29,年末休暇\n2026-12-30,年末休暇\n",
    )
    .unwrap();
    let ics = server.dir.path().join("days.ics");
    std::fs::write(
        &ics,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260924\r\n\
         SUMMARY:創立記念日\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    let bad = server.dir.path().join("bad.csv");
    std::fs::write(&bad, "2026-12-29,年末休暇\n2026-13-01,ない日\n").unwrap();
    let (csv, ics, bad) = (
        csv.display().to_string(),
        ics.display().to_string(),
        bad.display().to_string(),
    );

    let (ok, out, err) = cli(&url, &["holiday", "create", "company", "--file", &csv]).await;
    assert!(ok, "{err}");
    assert!(out.contains("created with 2 days"), "{out}");
    let (ok, _, err) = cli(&url, &["holiday", "create", "company"]).await;
    assert!(
        !ok && err.contains("name:") && err.contains("exists already"),
        "{err}"
    );
    let (ok, _, err) = cli(&url, &["holiday", "create", " "]).await;
    assert!(!ok && err.starts_with("hinomi: name:"), "{err}");
    // A bad line is named, with the flag; nothing is imported.
    let (ok, _, err) = cli(&url, &["holiday", "import", "company", "--file", &bad]).await;
    assert!(!ok && err.contains("--file: line 2"), "{err}");
    let (ok, out, err) = cli(&url, &["holiday", "import", "company", "--file", &ics]).await;
    assert!(ok, "{err}");
    assert!(out.contains("1 days imported; the calendar has 3"), "{out}");
    let (ok, out, _) = cli(&url, &["holiday", "show", "company"]).await;
    assert!(ok && out.contains("2026-09-24 Thu 創立記念日"), "{out}");
    assert!(out.contains("2026-12-30 Wed 年末休暇"), "{out}");

    // One day out; a day it does not have, or no date at all, is refused.
    let (ok, _, err) = cli(
        &url,
        &["holiday", "delete", "company", "--date", "2026-12-31"],
    )
    .await;
    assert!(
        !ok && err.contains("--date: 2026-12-31 is not a day"),
        "{err}"
    );
    let (ok, _, err) = cli(&url, &["holiday", "delete", "company", "--date", "12/30"]).await;
    assert!(!ok && err.contains("--date"), "{err}");
    let (ok, _, err) = cli(
        &url,
        &["holiday", "delete", "company", "--date", "2026-12-30"],
    )
    .await;
    assert!(ok, "{err}");
    let c = server.get_json("/api/v1/holiday-calendars/company").await;
    assert_eq!(c["days"].as_array().unwrap().len(), 2, "{c}");

    // A calendar a schedule skips stays, and the refusal names the schedule.
    let calendar_id = c["id"].as_str().unwrap();
    let mut s = weekly("db", &[&ids["dai"]]);
    s["layers"][0]["restriction"] = json!({"windows": [{"days": EVERY_DAY, "start": "09:00", "end": "18:00"}],
                                            "skip_calendars": [calendar_id]});
    assert_eq!(
        server.post_json("/api/v1/schedules", &s).await.status(),
        201
    );
    let (ok, out, _) = cli(&url, &["holiday", "list"]).await;
    assert!(
        ok && out.contains("company") && out.contains("skipped by db"),
        "{out}"
    );
    let (ok, _, err) = cli(&url, &["holiday", "delete", "company"]).await;
    assert!(
        !ok && err.contains("skipped by schedules [\"db\"]"),
        "{err}"
    );
    assert_eq!(server.delete("/api/v1/schedules/db").await.status(), 204);
    let (ok, out, err) = cli(&url, &["holiday", "delete", "company"]).await;
    assert!(ok && out.contains("deleted"), "{err}");
    let (ok, _, err) = cli(&url, &["holiday", "show", "company"]).await;
    assert!(!ok && err.contains("no holiday calendar"), "{err}");

    let audit = server
        .get_json("/api/v1/audit?action=holiday_calendar.")
        .await;
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        4,
        "created, imported, day removed, deleted: {audit}"
    );
    assert!(
        entries.iter().all(|e| e["actor"]["kind"] == "cli"),
        "{audit}"
    );
    assert!(server.terminate().await.success());
});
