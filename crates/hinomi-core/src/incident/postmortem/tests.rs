//! The seed's incident drafted: its figures, and the whole Markdown in both languages.

use super::*;
use crate::incident::{Currency, Money};

const H: i64 = 3_600_000;
const M: i64 = 60_000;
/// 2024-12-01 15:00 Asia/Tokyo.
const SEED_START: i64 = 1_733_032_800_000;

fn entry(at: i64, kind: EntryKind, verdict: Option<Verdict>, text: &str) -> TimelineFact {
    TimelineFact {
        at,
        kind,
        verdict,
        text: text.to_owned(),
    }
}

/// The seed's incident as hinomi would have recorded it.
fn seed() -> Facts {
    use Milestone::*;
    let mut milestones = Milestones::default();
    for (m, at) in [
        (Started, SEED_START),
        (Detected, SEED_START + 10 * M),
        (Declared, SEED_START + 25 * M),
        (Acknowledged, SEED_START + 30 * M),
        (Mitigated, SEED_START + 19 * H),
        (Resolved, SEED_START + 19 * H + 30 * M),
    ] {
        milestones.set(m, Some(at));
    }
    let finding = |at, t| entry(at, EntryKind::Finding, None, t);
    let confirmed = |at, t| entry(at, EntryKind::Hypothesis, Some(Verdict::Confirmed), t);
    let measure = |at, t| entry(at, EntryKind::Measure, None, t);
    let timeline = vec![
        entry(SEED_START + 40 * M, EntryKind::Note, None, "ログ分析を開始"),
        entry(
            SEED_START + 50 * M,
            EntryKind::Hypothesis,
            Some(Verdict::Rejected),
            "外部からの攻撃",
        ),
        finding(SEED_START + H, "データベース接続枯渇"),
        finding(SEED_START + H + 10 * M, "キャッシュメモリ不足"),
        finding(SEED_START + H + 20 * M, "ネットワーク輻輳"),
        finding(SEED_START + H + 30 * M, "プロセス異常"),
        confirmed(SEED_START + 2 * H, "設定値の不適切"),
        confirmed(SEED_START + 2 * H, "監視の不備"),
        measure(SEED_START + 3 * H, "コネクションプール再設定"),
        measure(SEED_START + 4 * H, "メモリ割り当て調整"),
        measure(SEED_START + 5 * H, "ネットワーク帯域制御"),
        measure(SEED_START + 6 * H, "プロセス再起動"),
    ];
    let check = |check, note: &str| CheckFact {
        check,
        state: CheckState::Ok,
        note: note.to_owned(),
    };
    let roles = [
        ("インシデントマネージャー", "佐藤"),
        ("テクニカルリード", "鈴木"),
        ("システム専門家", "高橋"),
        ("運用担当者", "田中"),
        ("広報担当", "伊藤"),
        ("顧客対応", "渡辺"),
        ("経営層連携", "山本"),
        ("外部ベンダー", "中村"),
    ];
    let item = |title: &str, category, horizon, status| ActionItemFact {
        title: title.to_owned(),
        category,
        horizon,
        owner: Some("鈴木".to_owned()),
        due: Some(jiff::civil::date(2024, 12, 20)),
        status,
    };
    Facts {
        reference: "INC-1".into(),
        title: "重要システム障害対応".into(),
        summary: "システム全体の著しい性能低下、一部機能の完全停止、データ整合性の乱れ、ユーザーアクセス不能。".into(),
        severity: Severity::Sev1,
        severity_name: "全社影響".into(),
        services: vec!["基幹業務システム".into()],
        impact: Impact {
            people_affected: Some(500),
            revenue_per_day: Some(Money {
                amount: 10_000_000,
                currency: Currency::parse("currency", "JPY").unwrap(),
            }),
            customers_affected: Some(1000),
            reputational_risk: Some(ReputationalRisk::High),
        },
        milestones,
        timeline,
        checks: vec![
            check(Check::Performance, "100%回復"),
            check(Check::Functions, "完全復旧"),
            check(Check::DataIntegrity, "確保"),
            check(Check::Access, "正常化"),
        ],
        impact_record: ImpactRecord {
            data_loss: "なし".into(),
            business_delay: "2日以内に解消".into(),
            customers_handled: "完了".into(),
            customers_handled_count: Some(1000),
        },
        team: roles
            .iter()
            .map(|(role, person)| TeamMember {
                role: (*role).to_owned(),
                person: (*person).to_owned(),
            })
            .collect(),
        action_items: vec![
            item("監視強化", Category::System, Horizon::Short, ItemStatus::InProgress),
            item("アーキテクチャ刷新", Category::System, Horizon::Long, ItemStatus::Open),
            item("訓練計画策定", Category::Process, Horizon::Short, ItemStatus::Done),
            item("エスカレーション基準", Category::Communication, Horizon::Short, ItemStatus::Open),
        ],
    }
}

fn tokyo() -> TimeZone {
    TimeZone::get("Asia/Tokyo").unwrap()
}

fn body(sections: &[(Section, String)], s: Section) -> &str {
    &sections.iter().find(|(k, _)| *k == s).unwrap().1
}

#[test]
fn the_seed_incident_states_its_figures() {
    let facts = seed();
    let now = SEED_START + 30 * H;
    let ja = draft(&facts, Locale::Ja, &tokyo(), now);
    assert_eq!(ja.len(), 10);
    let overview = body(&ja, Section::Overview);
    assert!(
        overview.contains("発生期間：2024-12-01 15:00 〜 2024-12-02 10:00（Asia/Tokyo）"),
        "{overview}"
    );
    assert!(overview.contains("対応チーム：8名"), "{overview}");
    let impact = body(&ja, Section::ProblemAndImpact);
    for line in [
        "業務停止：500名",
        "売上影響：10,000,000 JPY/日",
        "顧客影響：1,000社",
        "レピュテーションリスク：大",
    ] {
        assert!(impact.contains(line), "{line} in {impact}");
    }
    let results = body(&ja, Section::Results);
    assert!(
        results.contains("- システム停止時間：19時間\n"),
        "{results}"
    );
    assert!(results.contains("- データ損失：なし"), "{results}");
    let response = body(&ja, Section::Response);
    assert!(response.contains("宣言までの時間：25分"), "{response}");
    assert!(response.contains("復旧までの時間：19時間"), "{response}");
    let causes = body(&ja, Section::Causes);
    for c in [
        "データベース接続枯渇",
        "キャッシュメモリ不足",
        "ネットワーク輻輳",
        "プロセス異常",
    ] {
        assert!(causes.contains(&format!("- {c}\n")), "{c} in {causes}");
    }
    assert!(!causes.contains("外部からの攻撃"));

    let en = draft(&facts, Locale::En, &tokyo(), now);
    let overview = body(&en, Section::Overview);
    assert!(overview.contains("Period: 2024-12-01 15:00 to 2024-12-02 10:00 (Asia/Tokyo)"));
    assert!(overview.contains("Response team: 8 people"));
    let impact = body(&en, Section::ProblemAndImpact);
    for line in [
        "People unable to work: 500",
        "Revenue impact: 10,000,000 JPY/day",
        "Customers affected: 1,000",
        "Reputational risk: high",
    ] {
        assert!(impact.contains(line), "{line} in {impact}");
    }
    assert!(body(&en, Section::Results).contains("- Downtime: 19 hours\n"));
}

#[test]
fn the_seed_postmortem_in_japanese() {
    let facts = seed();
    let sections = draft(&facts, Locale::Ja, &tokyo(), SEED_START + 30 * H);
    insta::assert_snapshot!(markdown("INC-1", &facts.title, Locale::Ja, &sections));
}

#[test]
fn the_seed_postmortem_in_english() {
    let facts = seed();
    let sections = draft(&facts, Locale::En, &tokyo(), SEED_START + 30 * H);
    insta::assert_snapshot!(markdown("INC-1", &facts.title, Locale::En, &sections));
}

#[test]
fn an_incident_still_running_says_so() {
    let mut facts = seed();
    facts.milestones.set(Milestone::Mitigated, None);
    facts.milestones.set(Milestone::Resolved, None);
    facts.team.clear();
    facts.action_items.clear();
    facts.timeline.clear();
    let en = draft(
        &facts,
        Locale::En,
        &TimeZone::UTC,
        SEED_START + 2 * H + 5 * M,
    );
    assert!(body(&en, Section::Overview).contains("2024-12-01 06:00 to ongoing (UTC)"));
    assert!(body(&en, Section::Overview).contains("Response team: not recorded"));
    assert!(body(&en, Section::Results).contains("Downtime: 2 hours 5 minutes (ongoing)"));
    assert_eq!(
        body(&en, Section::EmergencyMeasures),
        "_To be written by the team._"
    );
    assert_eq!(
        body(&en, Section::NextSteps),
        "_To be written by the team._"
    );
}

#[test]
fn durations_numbers_and_sections_read_well() {
    assert_eq!(human_duration(19 * H, Locale::Ja), "19時間");
    assert_eq!(human_duration(H + 5 * M, Locale::Ja), "1時間5分");
    assert_eq!(human_duration(45 * M + 59_999, Locale::En), "45 minutes");
    assert_eq!(human_duration(H + M, Locale::En), "1 hour 1 minute");
    assert_eq!(grouped(10_000_000), "10,000,000");
    assert_eq!(grouped(999), "999");
    assert_eq!(grouped(-1000), "-1,000");
    for s in Section::ALL {
        assert_eq!(Section::parse(s.as_str()).unwrap(), s);
    }
    assert_eq!(Section::parse("appendix").unwrap_err().field, "section");
    assert_eq!(parse_body(&"x".repeat(50_001)).unwrap_err().field, "body");
}
