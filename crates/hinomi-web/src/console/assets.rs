//! The console's static files (stylesheet, htmx, our own script), compiled into the binary
//! and served under names that carry a hash of their content: a new build changes the
//! name, so browsers may cache each file for a year.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/console.css"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/console.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../static/favicon.svg"),
    },
    Asset {
        name: "postmortem.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/postmortem.css"),
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/htmx.min.js"),
    },
];

struct Table {
    /// Plain name to URL (`console.css` to `/static/console.1a2b3c4d5e6f.css`).
    urls: HashMap<&'static str, &'static str>,
    /// File part of the URL to the asset.
    by_file: HashMap<&'static str, &'static Asset>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut urls = HashMap::new();
        let mut by_file = HashMap::new();
        for asset in ASSETS {
            let hash = hex::encode(&Sha256::digest(asset.body)[..6]);
            let (stem, ext) = asset.name.split_once('.').expect("asset names have a dot");
            let file: &'static str = Box::leak(format!("{stem}.{hash}.{ext}").into_boxed_str());
            let url: &'static str = Box::leak(format!("/static/{file}").into_boxed_str());
            urls.insert(asset.name, url);
            by_file.insert(file, asset);
        }
        Table { urls, by_file }
    })
}

/// The URL under which `name` is served.
pub(super) fn url(name: &str) -> &'static str {
    table()
        .urls
        .get(name)
        .copied()
        .unwrap_or_else(|| panic!("no bundled asset named {name}"))
}

/// `GET /static/{file}`.
pub(super) async fn serve(Path(file): Path<String>) -> Response {
    let Some(asset) = table().by_file.get(file.as_str()) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_a_hashed_url_that_resolves_to_it() {
        for asset in ASSETS {
            let url = url(asset.name);
            let file = url.strip_prefix("/static/").unwrap();
            assert_ne!(file, asset.name, "the name must carry the hash");
            assert_eq!(table().by_file[file].body, asset.body);
        }
    }
}
