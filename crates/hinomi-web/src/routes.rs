//! A router that remembers its routes. Every route hinomi serves is added through
//! [`RouteTable`], so the list of (method, path) pairs and whether each is public comes from
//! the same code that builds the router ([`crate::route_list`]); the security tests walk it.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, on};

use crate::AppState;

/// One route: a method on a path pattern (`/api/v2/silence/{id}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: Method,
    pub path: &'static str,
}

/// A [`Router`] and the list of what it routes.
#[derive(Debug, Default)]
pub struct RouteTable {
    router: Router<AppState>,
    routes: Vec<RouteInfo>,
}

impl RouteTable {
    pub fn new() -> RouteTable {
        RouteTable::default()
    }

    fn add<H, T>(mut self, method: Method, filter: MethodFilter, path: &'static str, h: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, on(filter, h));
        self.routes.push(RouteInfo { method, path });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add(Method::GET, MethodFilter::GET, path, h)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add(Method::POST, MethodFilter::POST, path, h)
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add(Method::PUT, MethodFilter::PUT, path, h)
    }

    pub fn patch<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add(Method::PATCH, MethodFilter::PATCH, path, h)
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add(Method::DELETE, MethodFilter::DELETE, path, h)
    }

    /// Adds every route of `other`.
    pub fn merge(mut self, other: RouteTable) -> Self {
        self.router = self.router.merge(other.router);
        self.routes.extend(other.routes);
        self
    }

    pub fn routes(&self) -> &[RouteInfo] {
        &self.routes
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
