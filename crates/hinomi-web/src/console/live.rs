//! Live pages: a server-sent event stream that says "changed" whenever a digest of what a
//! page shows changes, and the page (`console.js`, `data-live-*`) fetches its fragment
//! again. Streams are woken by this instance's change notices and look again every
//! [`TICK`] (other instances' changes, and changes by the clock alone), tell at most one
//! change per [`MIN_GAP`], and end when the browser goes away or the server begins to shut
//! down (an open stream would hold a graceful shutdown).

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;

use crate::AppState;

/// Least time between two events of a stream: the page reloads its fragment on each, and
/// an alert storm changes things thousands of times a second.
const MIN_GAP: Duration = Duration::from_secs(1);
/// How often a stream looks with no change told.
const TICK: Duration = Duration::from_secs(5);

/// A stream of `name` events, one at connect (so a change between page load and connect
/// is not missed) and one whenever `digest` answers something new. A digest that fails
/// (`None`) is skipped until the next look.
pub(super) fn stream<F, Fut>(
    state: AppState,
    name: &'static str,
    digest: F,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>>
where
    F: Fn(AppState) -> Fut + Send + 'static,
    Fut: Future<Output = Option<u64>> + Send,
{
    struct Live<F> {
        state: AppState,
        digest: F,
        changes: tokio::sync::watch::Receiver<u64>,
        closing: tokio::sync::watch::Receiver<bool>,
        last: Option<u64>,
    }
    let live = Live {
        changes: state.engine.changes(),
        closing: state.closing.subscribe(),
        state,
        digest,
        last: None,
    };
    let stream = futures_util::stream::unfold(live, move |mut live| async move {
        loop {
            if *live.closing.borrow() {
                return None;
            }
            let now = (live.digest)(live.state.clone()).await;
            if now.is_some() && live.last != now {
                live.last = now;
                let event = Event::default()
                    .event(name)
                    .data("changed")
                    .retry(Duration::from_secs(1));
                return Some((Ok(event), live));
            }
            tokio::select! {
                _ = live.changes.changed() => {}
                _ = tokio::time::sleep(TICK) => {}
                _ = live.closing.changed() => {}
            }
            tokio::time::sleep(MIN_GAP).await;
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
