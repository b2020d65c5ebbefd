//! Arrow → Postgres encoding lives in the `mediasql-wire` crate (optimised in the dev profile).

pub use mediasql_wire::encode::*;
