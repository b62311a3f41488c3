//! hinomi's pure domain core: labels, matchers, alerts, silences, routing,
//! inhibition and notification decisions, with Alertmanager's exact
//! semantics; on-call schedules; escalation policies and pages; contact methods and
//! notification rules; incidents (severities, impact rules, milestones, timeline kinds); what a
//! person is told (notices) and in which language; the public status page. No IO, no async,
//! no clock: every function
//! that needs the time takes `now` as UTC epoch milliseconds (schedules take
//! `jiff::Timestamp`s).
#![forbid(unsafe_code)]

pub mod access;
pub mod alert;
pub mod config;
pub mod contact;
pub mod duration;
pub mod escalation;
mod goregex;
pub mod gostr;
pub mod gotemplate;
pub mod heartbeat;
pub mod incident;
pub mod inhibit;
pub mod labels;
pub mod locale;
pub mod matcher;
pub mod notice;
pub mod notify;
pub mod oncall;
pub mod route;
pub mod silence;
pub mod status_page;
pub mod throttle;
pub mod time;

pub use access::{Action, Role, TeamRole, UnknownRole, UnknownTeamRole, may_in_team};
pub use alert::{Alert, AlertError, AlertStatus, merge_on_put, normalize_posted};
pub use config::{
    Config, ConfigError, EmailConfig, HttpConfig, Integration, IntegrationKind, MsteamsConfig,
    OpsgenieConfig, PagerdutyConfig, Receiver, SlackConfig, SlackField, UNDELIVERED_KIND_BASE,
    WebhookConfig,
};
pub use duration::{DurationError, format_duration, parse_duration};
pub use gotemplate::{TemplateError, Templates};
pub use inhibit::{InhibitRule, inhibited_by};
pub use labels::{Fingerprint, LabelError, LabelSet, validate_label_name};
pub use locale::Locale;
pub use matcher::{
    MatchOp, Matcher, MatcherError, Matchers, matches_filter, parse_matcher, parse_matchers,
};
pub use notice::{
    ActionKind, Contact, ContactKind, Envelope, Notice, NoticeAction, NoticeAlert, NoticeKind,
};
pub use notify::{NotifyLogEntry, NotifyReason, needs_update, notify_reason};
pub use oncall::{
    Absence, Answer, Handoff, Holiday, HolidayCalendar, JapaneseHoliday, Layer, Override,
    PassedOver, Reason, Restriction, Rotation, RotationShift, Schedule, ScheduleError, Shift,
    ShiftLength, Source, Window, WindowMatch, japanese_holiday,
};
pub use route::{GroupBy, Route, RouteOpts, RouteSpec, group_key};
pub use silence::{
    Silence, SilenceError, SilenceState, SilenceUpsert, can_update, expire, plan_upsert,
};
pub use throttle::Throttle;
