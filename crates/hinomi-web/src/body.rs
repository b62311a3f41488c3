//! Reading request bodies under the size limit, with the error each API family expects.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    TooLarge { limit: usize },
    Unreadable(String),
}

impl BodyError {
    pub(crate) fn message(&self) -> String {
        match self {
            BodyError::TooLarge { limit } => {
                format!("request body is larger than the limit of {limit} bytes")
            }
            BodyError::Unreadable(e) => format!("cannot read request body: {e}"),
        }
    }
}

/// The body, or why not. axum enforces the byte limit while reading.
pub(crate) fn take(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, BodyError> {
    match body {
        Ok(b) if b.len() > limit => Err(BodyError::TooLarge { limit }),
        Ok(b) => Ok(b),
        Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
            Err(BodyError::TooLarge { limit })
        }
        Err(e) => Err(BodyError::Unreadable(e.body_text())),
    }
}
