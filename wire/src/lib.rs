//! Pure checks of what crosses the wire between Rentdesk and the outside, shared by the API
//! (which verifies) and the worker (which signs or sends): no I/O, no provider clients, only
//! hmac/sha and base64. Its own crate so the HTTP server can verify a Twilio webhook or an
//! unsubscribe link without linking the SMS, SMTP and FCM clients (`rentdesk-worker`); not in
//! `rentdesk-domain`, whose rules are about tenancies, not about providers' wire formats.

pub mod twilio;
pub mod unsubscribe;
