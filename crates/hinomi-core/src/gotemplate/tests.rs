//! The behaviour of `text/template` as Go documents it, and of Alertmanager's data and
//! functions, checked one template at a time.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;

use super::*;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn alert(status: &str, instance: &str, summary: &str) -> Alert {
    Alert {
        status: status.into(),
        labels: map(&[
            ("alertname", "DiskFull"),
            ("instance", instance),
            ("severity", "critical"),
        ]),
        annotations: map(&[("summary", summary)]),
        starts_at: Alert::time("2026-12-01T12:00:00Z"),
        ends_at: Alert::time("0001-01-01T00:00:00Z"),
        generator_url: "http://prometheus/graph".into(),
        fingerprint: "0123456789abcdef".into(),
    }
}

fn data() -> Data {
    Data {
        receiver: "ops.team".into(),
        status: "firing".into(),
        alerts: vec![
            alert("firing", "db1", "ディスクが 95%"),
            alert("resolved", "db2", "disk <full> & \"more\""),
        ],
        group_labels: map(&[("alertname", "DiskFull")]),
        common_labels: map(&[("alertname", "DiskFull"), ("severity", "critical")]),
        common_annotations: map(&[]),
        external_url: "http://hinomi:9093".into(),
    }
}

fn zone(name: &str) -> Option<TimeZone> {
    jiff::tz::db().get(name).ok()
}

fn env() -> Env<'static> {
    Env {
        now: "2026-12-01T13:02:03.5Z".parse().unwrap(),
        zone: &zone,
    }
}

fn run(set: &Templates, text: &str, html: bool) -> Result<String, TemplateError> {
    set.render(text, &data(), &env(), html)
}

#[track_caller]
fn check(text: &str, expect: &str) {
    let got = run(&Templates::default(), text, false);
    assert_eq!(got.as_deref(), Ok(expect), "template {text:?}");
}

#[track_caller]
fn fails(text: &str, expect: &str) {
    let got = run(&Templates::default(), text, false)
        .unwrap_err()
        .to_string();
    assert!(got.contains(expect), "template {text:?}: {got}");
}

#[test]
fn text_without_actions_is_returned_as_it_is() {
    check("plain {text}", "plain {text}");
    check("", "");
}

#[test]
fn fields_of_the_data_and_of_alerts() {
    check(
        "{{ .Status }} {{ .ExternalURL }}",
        "firing http://hinomi:9093",
    );
    check("{{ .Receiver }}", "ops\\.team");
    check("{{ .CommonLabels.alertname }}", "DiskFull");
    check("[{{ .CommonLabels.missing }}]", "[]");
    check("{{ (index .Alerts 0).Labels.instance }}", "db1");
    check(
        "{{ range .Alerts }}{{ .Fingerprint }} {{ end }}",
        "0123456789abcdef 0123456789abcdef ",
    );
    check(
        "{{ .CommonLabels }}",
        "alertname=DiskFull, severity=critical",
    );
    check("{{ index .CommonLabels \"severity\" }}", "critical");
}

#[test]
fn the_example_titles_users_bring_from_alertmanager() {
    check(
        r#"[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}"#,
        "[FIRING:1] DiskFull",
    );
    check(
        r#"{{ range .Alerts }}{{ .Annotations.summary }}{{ "\n" }}{{ end }}"#,
        "ディスクが 95%\ndisk <full> & \"more\"\n",
    );
    check(
        r#"{{ template "__subject" . }}"#,
        "[FIRING:1] DiskFull (critical)",
    );
}

#[test]
fn kv_methods() {
    check(
        "{{ range .Alerts.Firing }}{{ range .Labels.SortedPairs }}{{ .Name }}={{ .Value }};{{ end }}{{ end }}",
        "alertname=DiskFull;instance=db1;severity=critical;",
    );
    check("{{ .CommonLabels.Names }}", "[alertname severity]");
    check(
        "{{ .CommonLabels.Values | join \",\" }}",
        "DiskFull,critical",
    );
    check(
        "{{ (.CommonLabels.Remove (stringSlice \"alertname\")).Names }}",
        "[severity]",
    );
    check(
        "{{ .CommonLabels.SortedPairs.Values }}",
        "[DiskFull critical]",
    );
    check("{{ len .Alerts.Resolved }}", "1");
}

#[test]
fn trim_markers_and_comments() {
    check("a  {{- \"b\" -}}  \n c", "abc");
    check("a {{/* a comment */}}b", "a b");
    check("a \n{{- /* trimmed */ -}}\n b", "ab");
    check("{{ -3 }}", "-3");
}

#[test]
fn if_else_chains_and_with() {
    check("{{ if .Alerts }}yes{{ else }}no{{ end }}", "yes");
    check("{{ if .CommonAnnotations }}yes{{ else }}no{{ end }}", "no");
    check(
        "{{ if eq .Status \"resolved\" }}r{{ else if eq .Status \"firing\" }}f{{ else }}x{{ end }}",
        "f",
    );
    check(
        "{{ with .CommonLabels.severity }}[{{ . }}]{{ end }}",
        "[critical]",
    );
    check(
        "{{ with .CommonLabels.none }}[{{ . }}]{{ else }}none{{ end }}",
        "none",
    );
    check(
        "{{ if and .Alerts (not .CommonAnnotations) }}ok{{ end }}",
        "ok",
    );
    check("{{ or .CommonLabels.none \"fallback\" }}", "fallback");
    check("{{ and 1 0 2 }}", "0");
}

#[test]
fn range_with_variables_else_break_and_continue() {
    check(
        "{{ range $i, $a := .Alerts }}{{ $i }}:{{ $a.Labels.instance }} {{ end }}",
        "0:db1 1:db2 ",
    );
    check(
        "{{ range $k, $v := .CommonLabels }}{{ $k }}={{ $v }},{{ end }}",
        "alertname=DiskFull,severity=critical,",
    );
    check(
        "{{ range .CommonAnnotations }}x{{ else }}empty{{ end }}",
        "empty",
    );
    check(
        "{{ range 5 }}{{ if eq . 3 }}{{ break }}{{ end }}{{ . }}{{ end }}",
        "012",
    );
    check(
        "{{ range 4 }}{{ if eq . 1 }}{{ continue }}{{ end }}{{ . }}{{ end }}",
        "023",
    );
    check(
        "{{ $n := 0 }}{{ range .Alerts }}{{ $n = len .Labels }}{{ end }}{{ $n }}",
        "3",
    );
    check("{{ range .Alerts }}{{ $.Status }}{{ end }}", "firingfiring");
}

#[test]
fn define_template_and_block() {
    check(
        r#"{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" "a" }}{{ template "x" .Status }}"#,
        "[a][firing]",
    );
    check(r#"{{ block "b" .Status }}<{{ . }}>{{ end }}"#, "<firing>");
    fails(
        r#"{{ template "nope" . }}"#,
        "template \"nope\" not defined",
    );
}

#[test]
fn template_files_define_names_and_later_definitions_win() {
    let mut set = Templates::default();
    set.add_file(
        "/etc/hinomi/slack.tmpl",
        r#"{{ define "slack.custom.text" }}{{ range .Alerts }}・{{ .Annotations.summary }}
{{ end }}{{ end }}
{{ define "__alertmanager" }}Alertmanager{{ end }}"#,
    )
    .unwrap();
    assert_eq!(
        run(&set, r#"{{ template "slack.custom.text" . }}"#, false).unwrap(),
        "・ディスクが 95%\n・disk <full> & \"more\"\n"
    );
    assert_eq!(
        run(&set, r#"{{ template "slack.default.username" . }}"#, false).unwrap(),
        "Alertmanager"
    );
    // A file's top-level text is a template named after the file.
    set.add_file("dir/plain.tmpl", "hello {{ .Status }}")
        .unwrap();
    assert_eq!(
        run(&set, r#"{{ template "plain.tmpl" . }}"#, false).unwrap(),
        "hello firing"
    );
}

#[test]
fn parse_errors_name_the_file_and_line() {
    let err = Templates::default()
        .add_file(
            "a.tmpl",
            "line one\n{{ define \"x\" }}\n{{ if }}\n{{ end }}{{ end }}",
        )
        .unwrap_err();
    assert_eq!(
        err,
        TemplateError::Parse {
            name: "a.tmpl".into(),
            line: 3,
            message: "missing value for if".into()
        }
    );
    assert_eq!(err.to_string(), "template: a.tmpl:3: missing value for if");
    for (text, message) in [
        ("{{ .Status ", "unclosed action"),
        ("{{ if .Status }}", "unexpected EOF in if"),
        ("{{ end }}", "unexpected {{end}}"),
        ("{{ \"abc }}", "unterminated quoted string"),
        ("{{ .Status | }}", "missing command after |"),
        ("{{ (len .Alerts }}", "unclosed left paren"),
        ("{{ define \"x\" }}", "unexpected EOF in define"),
        ("{{ # }}", "unrecognized character in action"),
    ] {
        let err = Templates::check("f", text).unwrap_err().to_string();
        assert!(err.contains(message), "{text:?}: {err}");
    }
}

#[test]
fn execution_errors_say_what_went_wrong() {
    fails(
        "{{ .Nope }}",
        "can't evaluate field Nope in type *template.Data",
    );
    fails("{{ nope }}", "function \"nope\" not defined");
    fails("{{ index .Alerts 5 }}", "index out of range: 5");
    fails("{{ eq .Alerts 1 }}", "incompatible types for comparison");
    fails("{{ toUpper 1 }}", "expected string; got int");
    fails("{{ $x }}", "undefined variable: $x");
    fails(
        "{{ tz \"Mars/Olympus\" (index .Alerts 0).StartsAt }}",
        "unknown time zone",
    );
    let err = run(&Templates::default(), "line\n{{ .Status.Nope }}", false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: :2: executing \"\": can't evaluate field Nope in type string"
    );
}

#[test]
fn comparison_functions() {
    check(
        "{{ eq 1 2 3 1 }} {{ ne \"a\" \"b\" }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt 1.5 2.5 }} {{ ge \"b\" \"a\" }}",
        "true true true true false true",
    );
    check("{{ eq .Status \"resolved\" \"firing\" }}", "true");
}

#[test]
fn printing_functions() {
    check("{{ print \"a\" 1 2 \"b\" }}", "a1 2b");
    check("{{ println 1 \"x\" }}", "1 x\n");
    check(
        "{{ printf \"%s=%d %5.2f|%-4s|%04d %q %v %x\" \"n\" 42 3.14159 \"ab\" 7 \"q\" true 255 }}",
        "n=42  3.14|ab  |0007 \"q\" true ff",
    );
    check("{{ printf \"%d\" }}", "%!d(MISSING)");
    check("{{ printf \"%d\" \"s\" }}", "%!d(string=s)");
    check(
        "{{ html \"<a href='x'>&</a>\" }}",
        "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;",
    );
    check("{{ urlquery \"a b&c/d\" }}", "a+b%26c%2Fd");
    check(
        "{{ 1.5 }} {{ 1e6 }} {{ 100000.0 }} {{ 0.00001 }}",
        "1.5 1e+06 100000 1e-05",
    );
    check("{{ 'a' }} {{ 0x1F }} {{ 1_000 }}", "97 31 1000");
    check("{{ `raw\\n` }}", "raw\\n");
}

#[test]
fn alertmanager_string_functions() {
    check(
        "{{ toUpper \"firing\" }} {{ toLower \"ABC\" }} {{ title \"hELLO wORLD\" }}",
        "FIRING abc Hello World",
    );
    check("{{ trimSpace \"  x \\n\" }}", "x");
    check("{{ stringSlice \"a\" \"b\" | join \"-\" }}", "a-b");
    check(
        "{{ match \"^db[0-9]$\" \"db1\" }} {{ match \"b\" \"abc\" }}",
        "true true",
    );
    check(
        "{{ reReplaceAll \"(\\\\w+)-(\\\\d+)\" \"$2:$1\" \"db-12\" }}",
        "12:db",
    );
    check("{{ urlUnescape \"a%20b+c\" }}", "a b c");
    check("{{ \"日本語\" | toUpper }}", "日本語");
}

#[test]
fn time_functions() {
    check(
        "{{ (index .Alerts 0).StartsAt }}",
        "2026-12-01 12:00:00 +0000 UTC",
    );
    check(
        "{{ (index .Alerts 0).StartsAt | date \"2006/01/02 15:04:05 MST Mon Jan _2 3PM -07:00\" }}",
        "2026/12/01 12:00:00 UTC Tue Dec  1 12PM +00:00",
    );
    check(
        "{{ (index .Alerts 0).StartsAt | tz \"Asia/Tokyo\" | date \"2006年1月2日 15時04分 MST Z07:00\" }}",
        "2026年12月1日 21時00分 JST +09:00",
    );
    check(
        "{{ (index .Alerts 0).StartsAt.Format \"2006-01-02T15:04:05.000Z07:00\" }}",
        "2026-12-01T12:00:00.000Z",
    );
    check("{{ (index .Alerts 0).StartsAt.Unix }}", "1796126400");
    check("{{ (index .Alerts 0).EndsAt.IsZero }}", "true");
    check("{{ since (index .Alerts 0).StartsAt }}", "1h2m3.5s");
    check(
        "{{ since (index .Alerts 0).StartsAt | humanizeDuration }}",
        "1h 2m 3s",
    );
    check(
        "{{ humanizeDuration 1.5 }} {{ humanizeDuration 90061 }} {{ humanizeDuration 0.0012 }} {{ humanizeDuration 0 }}",
        "1.5s 1d 1h 1m 1s 1.2ms 0s",
    );
    check(
        "{{ (since (index .Alerts 0).StartsAt).Minutes | printf \"%.1f\" }}",
        "62.1",
    );
}

#[test]
fn to_json_escapes_as_go_does() {
    check(
        "{{ .CommonLabels | toJson }}",
        r#"{"alertname":"DiskFull","severity":"critical"}"#,
    );
    check(
        "{{ (index .Alerts 1).Annotations.summary | toJson }}",
        r#""disk \u003cfull\u003e \u0026 \"more\"""#,
    );
    check(
        "{{ (index .Alerts 0) | toJson }}",
        r#"{"annotations":{"summary":"ディスクが 95%"},"endsAt":"0001-01-01T00:00:00Z","fingerprint":"0123456789abcdef","generatorURL":"http://prometheus/graph","labels":{"alertname":"DiskFull","instance":"db1","severity":"critical"},"startsAt":"2026-12-01T12:00:00Z","status":"firing"}"#,
    );
}

#[test]
fn html_fields_escape_printed_values_unless_marked_safe() {
    let set = Templates::default();
    let text = "<p>{{ (index .Alerts 1).Annotations.summary }}</p>{{ \"<b>ok</b>\" | safeHtml }}";
    assert_eq!(
        run(&set, text, true).unwrap(),
        "<p>disk &lt;full&gt; &amp; &#34;more&#34;</p><b>ok</b>"
    );
    assert_eq!(
        run(&set, text, false).unwrap(),
        "<p>disk <full> & \"more\"</p><b>ok</b>"
    );
}

#[test]
fn default_definitions_under_alertmanagers_names() {
    check(
        r#"{{ template "slack.default.title" . }}"#,
        "[FIRING:1] DiskFull (critical)",
    );
    check(
        r#"{{ template "slack.default.fallback" . }}"#,
        "[FIRING:1] DiskFull (critical) | http://hinomi:9093/alerts",
    );
    check(
        r#"{{ template "__text_alert_list" .Alerts.Firing }}"#,
        "Labels:\n - alertname = DiskFull\n - instance = db1\n - severity = critical\nAnnotations:\n - summary = ディスクが 95%\nSource: http://prometheus/graph\n",
    );
}

#[test]
fn runaway_recursion_stops() {
    fails(
        r#"{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}"#,
        "maximum template depth",
    );
}

proptest::proptest! {
    /// Whatever a configuration holds, parsing and running it answers, never panics.
    #[test]
    fn any_text_parses_or_fails_without_panicking(
        parts in proptest::collection::vec(proptest::sample::select(vec![
            "{{", "}}", "{{-", "-}}", " ", "\n", ".", ".Alerts", "$", "$x", ":=", "=", "|",
            "(", ")", "\"", "'", "`", "a", "1", "-", "/*", "*/", "if", "else", "end", "range",
            "with", "define", "template", "block", "break", "continue", "len", "index",
            "printf", "\"%d\"", "eq", "日本", "\\",
        ]), 0..24)
    ) {
        let text: String = parts.concat();
        let _ = Templates::check("f", &text);
        let _ = run(&Templates::default(), &text, false);
        let _ = Templates::default().add_file("f.tmpl", &text);
    }
}
