//! Black-box tests of the `hinomi` binary: each starts the real server on 127.0.0.1:0 with a
//! fresh database (SQLite in a temp dir, or a fresh PostgreSQL database) and talks HTTP
//! (the seed replay alone drives the router in process, on a simulated clock).
//! One test binary for the crate keeps link times low.

mod harness;

mod access;
mod alertmanager_api;
mod api_v1;
mod audit_trail;
mod bad_input;
mod channels;
mod console;
mod console_browser;
mod console_schedules;
mod console_walk;
mod durability;
mod grouping;
mod inbound;
mod incident_team;
mod incidents;
mod intake;
mod oidc;
mod paging;
mod postmortems;
mod real_clients;
mod role_walk;
mod schedules;
mod security;
mod seed_replay;
mod smoke;
mod snapshot;
mod status_page;
