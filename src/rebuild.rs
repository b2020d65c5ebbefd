//! Rebuilding a session state without losing a function's names: DataFusion's builder
//! registers every function anew in random order (see [`keep_functions`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use datafusion::execution::registry::FunctionRegistry;
use datafusion::execution::{SessionState, SessionStateBuilder};

/// `state` rebuilt by `change`, every function still under each name and alias it had.
/// Every rebuild of a state goes through here.
pub fn rebuilt(
    state: &SessionState,
    change: impl FnOnce(SessionStateBuilder) -> SessionStateBuilder,
) -> SessionState {
    let mut rebuilt = change(SessionStateBuilder::new_from_existing(state.clone())).build();
    keep_functions(state, &mut rebuilt);
    rebuilt
}

/// Gives each name of `before` its function back where a rebuild since then put another of
/// `before`'s functions under it. Functions registered since then keep the names they took.
///
/// DataFusion's builder registers every function anew, name and aliases, in its map's random
/// order. Where one function's name is another's alias, either can come out on top: our
/// `inner_product` replaced DataFusion's, which its alias `dot_product` keeps in the map, and
/// `length` is ours and DataFusion's alias of `character_length`. Rebuilds we do not own
/// (datafusion-pg-catalog's setup) are repaired with this too.
pub fn keep_functions(before: &SessionState, after: &mut SessionState) {
    // Registering a function also sets its aliases, which may be another's names: a few
    // rounds settle every name (one does for DataFusion's functions and ours).
    for _ in 0..4 {
        let scalars = misplaced(before.scalar_functions(), after.scalar_functions(), |f| {
            f.name()
        });
        let aggregates = misplaced(
            before.aggregate_functions(),
            after.aggregate_functions(),
            |f| f.name(),
        );
        let windows = misplaced(before.window_functions(), after.window_functions(), |f| {
            f.name()
        });
        if scalars.is_empty() && aggregates.is_empty() && windows.is_empty() {
            return;
        }
        // A session state's registration cannot fail; it returns the function it replaced.
        for udf in scalars {
            let _ = after.register_udf(udf);
        }
        for udaf in aggregates {
            let _ = after.register_udaf(udaf);
        }
        for udwf in windows {
            let _ = after.register_udwf(udwf);
        }
    }
}

/// The functions of `want` that `have` lists under a name of theirs with another function
/// of `want`; those found by an alias first, so that a function under its own name,
/// registered after, keeps it.
fn misplaced<F>(
    want: &HashMap<String, Arc<F>>,
    have: &HashMap<String, Arc<F>>,
    name: impl Fn(&F) -> &str,
) -> Vec<Arc<F>> {
    let known: HashSet<*const F> = want.values().map(Arc::as_ptr).collect();
    let mut wrong: Vec<(bool, Arc<F>)> = want
        .iter()
        .filter(|(key, f)| {
            have.get(*key)
                .is_some_and(|now| !Arc::ptr_eq(now, f) && known.contains(&Arc::as_ptr(now)))
        })
        .map(|(key, f)| (key.as_str() == name(f), Arc::clone(f)))
        .collect();
    wrong.sort_by_key(|(own_name, _)| *own_name);
    wrong.into_iter().map(|(_, f)| f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::common::Result;

    /// Whether `b` has each function of `a` under each of its names. (Functions that read
    /// settings, such as `to_timestamp_millis`, are made anew by a build: names are compared.)
    fn same_functions(a: &SessionState, b: &SessionState) -> Result<(), String> {
        for (key, udf) in a.scalar_functions() {
            let now = b.scalar_functions().get(key).map(|f| f.name());
            if now != Some(udf.name()) {
                return Err(format!("{key}: {now:?}"));
            }
        }
        for (key, udaf) in a.aggregate_functions() {
            let now = b.aggregate_functions().get(key).map(|f| f.name());
            if now != Some(udaf.name()) {
                return Err(format!("aggregate {key}: {now:?}"));
            }
        }
        Ok(())
    }

    /// Our `inner_product` over DataFusion's: without the repair about half the rebuilds gave
    /// DataFusion's back. (A map's order is fixed once made: each round makes a new state.)
    #[test]
    fn a_rebuilt_state_keeps_every_function_under_its_names() {
        for _ in 0..20 {
            let mut state = SessionStateBuilder::new().with_default_features().build();
            let inner_product = Arc::new(mediasql_udfs::vector::inner_product::udf());
            state.register_udf(Arc::clone(&inner_product)).unwrap();
            assert!(state.scalar_functions().contains_key("dot_product"));
            let again = rebuilt(&state, |builder| builder);
            same_functions(&state, &again).unwrap();
            let now = &again.scalar_functions()["inner_product"];
            assert!(Arc::ptr_eq(now, &inner_product));
        }
    }
}
