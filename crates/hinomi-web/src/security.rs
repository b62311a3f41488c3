//! Security headers on every response: a content security policy without inline scripts,
//! no framing, no MIME sniffing, no referrer leaving the site, and HSTS behind https.
//!
//! Mounted on the whole router (pages, API, compat routes, errors and the fallback alike):
//! a header a handler set itself is left as it is, so one route can narrow or widen its own
//! policy without a second layer.

use axum::extract::State;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::response::Response;

/// The content security policy: everything from hinomi itself, nothing inline, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'";

/// HSTS for a year: only sent when hinomi is reached over https, where a browser that saw
/// it once refuses plain http to this host afterwards.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// Which headers [`apply`] adds; built once from the settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecurityHeaders {
    /// Send `Strict-Transport-Security`.
    pub hsts: bool,
}

impl SecurityHeaders {
    /// HSTS when the external URL (where people reach hinomi) is https.
    pub fn for_external_url(external_url: &str) -> SecurityHeaders {
        let scheme = external_url.split_once("://").map(|(s, _)| s).unwrap_or("");
        SecurityHeaders {
            hsts: scheme.eq_ignore_ascii_case("https"),
        }
    }
}

/// Adds the security headers to a response; mount with
/// `axum::middleware::map_response_with_state(SecurityHeaders::for_external_url(..), apply)`.
pub async fn apply(State(policy): State<SecurityHeaders>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    if policy.hsts {
        set(header::STRICT_TRANSPORT_SECURITY, STRICT_TRANSPORT_SECURITY);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::middleware::map_response_with_state;
    use axum::routing::get;
    use tower::ServiceExt;

    async fn headers_of(policy: SecurityHeaders, path: &str) -> axum::http::HeaderMap {
        let app = Router::new()
            .route("/page", get(|| async { "page" }))
            .route(
                "/own",
                get(|| async {
                    (
                        [(header::CONTENT_SECURITY_POLICY, "default-src 'none'")],
                        "",
                    )
                }),
            )
            .layer(map_response_with_state(policy, apply));
        let response = app
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        if path == "/missing" {
            assert_eq!(response.status(), StatusCode::NOT_FOUND);
        }
        response.headers().clone()
    }

    #[tokio::test]
    async fn every_response_gets_the_headers_and_hsts_only_behind_https() {
        for path in ["/page", "/missing"] {
            let h = headers_of(SecurityHeaders::for_external_url("http://x"), path).await;
            assert_eq!(h[header::CONTENT_SECURITY_POLICY], CONTENT_SECURITY_POLICY);
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(h[header::REFERRER_POLICY], "same-origin");
            assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
            assert!(!h.contains_key(header::STRICT_TRANSPORT_SECURITY));
            let h = headers_of(SecurityHeaders::for_external_url("HTTPS://x"), path).await;
            assert_eq!(
                h[header::STRICT_TRANSPORT_SECURITY],
                STRICT_TRANSPORT_SECURITY
            );
        }
    }

    #[tokio::test]
    async fn a_handler_keeps_the_policy_it_set() {
        let h = headers_of(SecurityHeaders { hsts: false }, "/own").await;
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], "default-src 'none'");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    }

    #[test]
    fn the_policy_allows_no_inline_script() {
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-eval"));
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
    }
}
