//! The one error shape of hinomi's own API (`/api/v1`, sign-in, the console's JSON): a
//! stable machine-readable code, an HTTP status, a message for people and, for bad input,
//! the field that was wrong. Compat routes (Alertmanager, PagerDuty) keep their tools' shapes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hinomi_core::Action;
use serde::Serialize;

/// An error answered as `{"error": {"code": ..., "message": ..., "field": ...}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable, lower-case, snake_case; clients branch on it.
    pub code: &'static str,
    pub message: String,
    /// The request field that was wrong, for bad input.
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// Bad input in `field`.
    pub fn bad_request(
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            field: Some(field.into()),
            ..ApiError::new(StatusCode::BAD_REQUEST, code, message)
        }
    }

    /// No credentials, or credentials that are not (or no longer) valid.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in, or send an API token as `Authorization: Bearer <token>`",
        )
    }

    /// The principal is known but its role does not allow `action`.
    pub fn forbidden(action: Action) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "your role does not allow {} (needs {} or above)",
                action.as_str(),
                action.min_role()
            ),
        )
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{} not found", what.into()),
        )
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    /// Something failed inside hinomi. The cause is logged; the client learns only that it
    /// happened, so no internal detail (or secret) leaks.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %error, "internal error answering a request");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the server log has the details",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<hinomi_store::StoreError> for ApiError {
    fn from(e: hinomi_store::StoreError) -> Self {
        match e {
            hinomi_store::StoreError::LastOwner(_) => {
                ApiError::conflict("last_owner", e.to_string())
            }
            hinomi_store::StoreError::UserInUse { .. } => {
                ApiError::conflict("user_in_use", e.to_string())
            }
            e => ApiError::internal(e),
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                field: self.field.as_deref(),
            },
        })
        .expect("error bodies serialize");
        let mut response = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"hinomi\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn errors_have_one_shape() {
        let response =
            ApiError::bad_request("invalid_role", "role", "unknown role \"root\"").into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"error":{"code":"invalid_role","message":"unknown role \"root\"","field":"role"}}"#
        );
        let response = ApiError::unauthorized().into_response();
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Bearer realm=\"hinomi\""
        );
    }
}
