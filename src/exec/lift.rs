//! [`LiftModelCalls`]: moves model function calls out of projections and filters into
//! [`InferenceExec`]s below them.
//!
//! A filter's conjuncts without model calls stay in a filter below the `InferenceExec`, so
//! the model sees only the rows they keep.
//!
//! A call is lifted when its function is a model function (a `ModelUdf`, with or without the
//! rows' paths that name files in errors), its arguments after the input are constants, and
//! its input holds no other model call. Equal calls are one call; calls are grouped by
//! (model pass, input, paths): each group becomes one `InferenceExec`, whose forward pass
//! serves every call of the group, and the projection or filter reads the calls' columns.
//! Common subexpression elimination can split one projection's calls over two stacked
//! projections; two operators of the same pass over the same column, one above the other
//! with only a projection between them, are then merged into the lower one.
//! Calls in aggregates reach this rule in a projection below the aggregate (see
//! [`super::aggregate_calls::ProjectAggregateModelCalls`]). Calls that cannot be lifted (a model name from a
//! column) run inside their scalar call as before; `SET mediasql.inference_exec = false`
//! lifts none.

use std::sync::Arc;

use datafusion::arrow::datatypes::{FieldRef, Schema};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::ColumnarValue;
use datafusion::physical_expr::ScalarFunctionExpr;
use datafusion::physical_expr::expressions::{Column, Literal};
use datafusion::physical_expr::utils::{conjunction, split_conjunction};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::filter::{FilterExec, FilterExecBuilder};
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};
use datafusion::physical_plan::{ExecutionPlan, PhysicalExpr};
use mediasql_udfs::model_udf::as_model_udf;
use mediasql_udfs::models::{ModelCall, ModelFunction};

use super::cached::CallCache;
use super::inference::{Batching, InferenceCall, InferenceExec};
use super::options::MediasqlOptions;

/// The physical optimizer rule (see the module docs).
#[derive(Debug, Default)]
pub struct LiftModelCalls;

impl PhysicalOptimizerRule for LiftModelCalls {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let options = MediasqlOptions::from_config(config);
        if !options.inference_exec {
            return Ok(plan);
        }
        plan.transform_up(|node| lift(node, &options))?
            .data
            .transform_up(merge)
            .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "lift_model_calls"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

fn lift(
    node: Arc<dyn ExecutionPlan>,
    options: &MediasqlOptions,
) -> Result<Transformed<Arc<dyn ExecutionPlan>>> {
    if let Some(projection) = node.downcast_ref::<ProjectionExec>() {
        let roots: Vec<_> = projection.expr().iter().map(|p| &p.expr).collect();
        let Some((input, columns)) = lift_calls(projection.input(), &roots, options)? else {
            return Ok(Transformed::no(node));
        };
        let exprs = projection
            .expr()
            .iter()
            .map(|p| {
                Ok(ProjectionExpr {
                    expr: replace(&p.expr, &columns)?,
                    alias: p.alias.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok(Transformed::yes(Arc::new(ProjectionExec::try_new(
            exprs, input,
        )?)));
    }
    if let Some(filter) = node.downcast_ref::<FilterExec>() {
        // Conjuncts without a model call filter the rows before the model sees them:
        // `WHERE kind = 'image' AND classify(content)['label'] = 'cat'` must not classify PDFs.
        let (modelled, plain): (Vec<_>, Vec<_>) = split_conjunction(filter.predicate())
            .into_iter()
            .cloned()
            .partition(contains_model_call);
        let mut below = Arc::clone(filter.input());
        if !plain.is_empty() {
            below = Arc::new(FilterExecBuilder::new(conjunction(plain), below).build()?);
        }
        let predicate = conjunction(modelled);
        let Some((input, columns)) = lift_calls(&below, &[&predicate], options)? else {
            return Ok(Transformed::no(node));
        };
        let width = filter.input().schema().fields().len();
        let mut builder = FilterExecBuilder::from(filter)
            .with_predicate(replace(&predicate, &columns)?)
            .with_input(input);
        if filter.projection().is_none() {
            // The filter's output keeps its columns, not the calls'.
            builder = builder.apply_projection(Some((0..width).collect()))?;
        }
        return Ok(Transformed::yes(Arc::new(builder.build()?)));
    }
    Ok(Transformed::no(node))
}

/// `InferenceExec(upper) → ProjectionExec → InferenceExec(lower)` with the same pass over
/// the same column becomes `ProjectionExec → InferenceExec(lower + upper's calls)`: one
/// forward pass instead of two.
fn merge(node: Arc<dyn ExecutionPlan>) -> Result<Transformed<Arc<dyn ExecutionPlan>>> {
    let Some(merged) = merged(&node)? else {
        return Ok(Transformed::no(node));
    };
    Ok(Transformed::yes(merged))
}

fn merged(node: &Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some(upper) = node.downcast_ref::<InferenceExec>() else {
        return Ok(None);
    };
    let Some(projection) = upper.input().downcast_ref::<ProjectionExec>() else {
        return Ok(None);
    };
    let Some(lower) = projection.input().downcast_ref::<InferenceExec>() else {
        return Ok(None);
    };
    if upper.pass().key() != lower.pass().key() || upper.batching() != lower.batching() {
        return Ok(None);
    }
    // Upper's expressions as expressions over lower's input: only through columns the
    // projection passes on unchanged.
    let width = lower.input().schema().fields().len();
    let through = |expr: &Arc<dyn PhysicalExpr>| -> Option<Arc<dyn PhysicalExpr>> {
        let mut passed = true;
        let mapped = Arc::clone(expr)
            .transform_down(|e| {
                let Some(column) = e.downcast_ref::<Column>() else {
                    return Ok(Transformed::no(e));
                };
                let source = projection
                    .expr()
                    .get(column.index())
                    .and_then(|p| p.expr.downcast_ref::<Column>())
                    .filter(|c| c.index() < width)
                    .cloned();
                match source {
                    Some(source) => Ok(Transformed::yes(Arc::new(source) as _)),
                    None => {
                        passed = false;
                        Ok(Transformed::no(e))
                    }
                }
            })
            .ok()?
            .data;
        passed.then_some(mapped)
    };
    let same = |a: Option<&Arc<dyn PhysicalExpr>>, b: Option<&Arc<dyn PhysicalExpr>>| match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => through(a).is_some_and(|a| a.as_ref() == b.as_ref()),
        _ => false,
    };
    if !same(Some(upper.argument()), Some(lower.argument())) || !same(upper.paths(), lower.paths())
    {
        return Ok(None);
    }
    let mut calls = lower.calls().to_vec();
    for call in upper.calls() {
        let Some(expr) = through(&call.expr) else {
            return Ok(None);
        };
        calls.push(InferenceCall {
            expr,
            field: Arc::clone(&call.field),
            head: Arc::clone(&call.head),
            cache: call.cache.clone(),
        });
    }
    let first_new = lower.schema().fields().len();
    let merged = InferenceExec::try_new(
        Arc::clone(lower.input()),
        Arc::clone(lower.pass()),
        Arc::clone(lower.argument()),
        lower.paths().cloned(),
        calls,
        lower.batching().clone(),
    )?;
    let mut exprs = projection.expr().to_vec();
    for (i, call) in upper.calls().iter().enumerate() {
        exprs.push(ProjectionExpr {
            expr: Arc::new(Column::new(call.field.name(), first_new + i)),
            alias: call.field.name().clone(),
        });
    }
    Ok(Some(Arc::new(ProjectionExec::try_new(
        exprs,
        Arc::new(merged),
    )?)))
}

/// A model call found in an expression.
struct Lifted {
    expr: Arc<dyn PhysicalExpr>,
    function: String,
    input: Arc<dyn PhysicalExpr>,
    paths: Option<Arc<dyn PhysicalExpr>>,
    call: ModelCall,
    field: FieldRef,
    /// How its results are kept in the inference cache (None: they are not).
    cache: Option<Arc<CallCache>>,
}

/// Calls sharing one forward pass: of equal pass keys, over the same input and paths.
struct Group {
    pass: String,
    input: Arc<dyn PhysicalExpr>,
    paths: Option<Arc<dyn PhysicalExpr>>,
    calls: Vec<Lifted>,
}

impl Group {
    fn serves(&self, lifted: &Lifted) -> bool {
        let same_paths = match (&self.paths, &lifted.paths) {
            (None, None) => true,
            (Some(a), Some(b)) => a.as_ref() == b.as_ref(),
            _ => false,
        };
        self.pass == lifted.call.pass.key()
            && self.input.as_ref() == lifted.input.as_ref()
            && same_paths
    }
}

/// Where each lifted call's column is: equal calls are one call.
type Columns = Vec<(Arc<dyn PhysicalExpr>, Column)>;

/// The model calls of `roots` placed in `InferenceExec`s over `input`, and where their
/// columns are; None when there is no call to lift.
fn lift_calls(
    input: &Arc<dyn ExecutionPlan>,
    roots: &[&Arc<dyn PhysicalExpr>],
    options: &MediasqlOptions,
) -> Result<Option<(Arc<dyn ExecutionPlan>, Columns)>> {
    let schema = input.schema();
    let mut groups: Vec<Group> = Vec::new();
    for root in roots {
        root.apply(|e| {
            let Some(lifted) = lifted_call(e, &schema) else {
                return Ok(TreeNodeRecursion::Continue);
            };
            add(&mut groups, lifted);
            Ok(TreeNodeRecursion::Jump)
        })?;
    }
    if groups.is_empty() {
        return Ok(None);
    }
    let device = options.checked_device()?;
    let mut plan = Arc::clone(input);
    let mut columns = Columns::new();
    let mut index = schema.fields().len();
    for group in groups {
        let Some(first) = group.calls.first() else {
            continue;
        };
        let (pass, argument, paths) = (
            Arc::clone(&first.call.pass),
            Arc::clone(&first.input),
            first.paths.clone(),
        );
        if pass.device() != device {
            return plan_err!(
                "mediasql.device is '{device}' but this server runs {} on '{}' \
                 (start it with --device {device})",
                pass.model(),
                pass.device()
            );
        }
        let mut calls = Vec::new();
        for lifted in group.calls {
            let name = format!("{}#{index}", lifted.function);
            let field = Arc::new(lifted.field.as_ref().clone().with_name(&name));
            columns.push((Arc::clone(&lifted.expr), Column::new(&name, index)));
            index += 1;
            calls.push(InferenceCall {
                expr: lifted.expr,
                field,
                head: lifted.call.head,
                cache: lifted.cache,
            });
        }
        let batching = Batching {
            batch_size: match options.batch_size {
                0 => pass.batch_size(),
                n => n,
            },
            max_in_flight: options.max_batches_in_flight.max(1),
            device: device.to_string(),
        };
        plan = Arc::new(InferenceExec::try_new(
            plan, pass, argument, paths, calls, batching,
        )?);
    }
    Ok(Some((plan, columns)))
}

/// Adds `lifted` to the group of its pass, unless the same call is there already.
fn add(groups: &mut Vec<Group>, lifted: Lifted) {
    match groups.iter_mut().find(|g| g.serves(&lifted)) {
        Some(group)
            if group
                .calls
                .iter()
                .any(|c| c.expr.as_ref() == lifted.expr.as_ref()) => {}
        Some(group) => group.calls.push(lifted),
        None => groups.push(Group {
            pass: lifted.call.pass.key(),
            input: Arc::clone(&lifted.input),
            paths: lifted.paths.clone(),
            calls: vec![lifted],
        }),
    }
}

/// A model function call as the rule sees it.
struct ModelCallExpr<'a> {
    call: &'a ScalarFunctionExpr,
    function: &'a dyn ModelFunction,
    args: &'a [Arc<dyn PhysicalExpr>],
    /// The rows' files (the last argument of sourced calls).
    paths: Option<&'a Arc<dyn PhysicalExpr>>,
}

/// The model function of a call and its arguments, the paths of a sourced call apart.
fn model_function(expr: &Arc<dyn PhysicalExpr>) -> Option<ModelCallExpr<'_>> {
    let call = expr.downcast_ref::<ScalarFunctionExpr>()?;
    let udf = as_model_udf(call.fun())?;
    let (args, paths) = match udf.is_sourced() {
        true => {
            let (paths, args) = call.args().split_last()?;
            (args, Some(paths))
        }
        false => (call.args(), None),
    };
    Some(ModelCallExpr {
        call,
        function: udf.function(),
        args,
        paths,
    })
}

/// `expr` as a call to lift, when it is one that can be.
fn lifted_call(expr: &Arc<dyn PhysicalExpr>, schema: &Schema) -> Option<Lifted> {
    let ModelCallExpr {
        call,
        function,
        args,
        paths,
    } = model_function(expr)?;
    let (input, constants) = args.split_first()?;
    if contains_model_call(input) {
        return None;
    }
    let mut values = vec![ColumnarValue::Scalar(ScalarValue::Null)];
    for arg in constants {
        let literal = arg.downcast_ref::<Literal>()?;
        values.push(ColumnarValue::Scalar(literal.value().clone()));
    }
    // A call whose arguments are wrong stays where it is and reports its error when it runs.
    let model_call = function.model_call(&values).ok()?;
    let field = expr.return_field(schema).ok()?;
    let cache = CallCache::new(
        call.name(),
        model_call.pass.as_ref(),
        &output_options(function, &values),
        field.data_type(),
    );
    Some(Lifted {
        expr: Arc::clone(expr),
        function: call.name().to_string(),
        input: Arc::clone(input),
        paths: paths.cloned(),
        call: model_call,
        field,
        cache,
    })
}

/// The constant arguments that change a call's output, as text: all but the input and
/// `on_error` (errors are never cached, and a value does not depend on it).
fn output_options(function: &dyn ModelFunction, values: &[ColumnarValue]) -> Vec<String> {
    let names = function
        .signature()
        .parameter_names
        .as_deref()
        .unwrap_or(&[]);
    values
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(i, _)| names.get(*i).is_none_or(|n| n != "on_error"))
        .map(|(i, v)| match v {
            ColumnarValue::Scalar(s) => format!("{i}:{}:{s}", s.data_type()),
            ColumnarValue::Array(_) => format!("{i}:array"),
        })
        .collect()
}

fn contains_model_call(expr: &Arc<dyn PhysicalExpr>) -> bool {
    expr.exists(|e| Ok(model_function(e).is_some()))
        .unwrap_or(true)
}

/// `expr` with every lifted call replaced by its column.
fn replace(expr: &Arc<dyn PhysicalExpr>, columns: &Columns) -> Result<Arc<dyn PhysicalExpr>> {
    Arc::clone(expr)
        .transform_down(
            |e| match columns.iter().find(|(call, _)| call.as_ref() == e.as_ref()) {
                Some((_, column)) => Ok(Transformed::new(
                    Arc::new(column.clone()) as Arc<dyn PhysicalExpr>,
                    true,
                    TreeNodeRecursion::Jump,
                )),
                None => Ok(Transformed::no(e)),
            },
        )
        .map(|t| t.data)
}

/// An [`InferenceExec`] over `input` answering `calls` (each with its output column's name),
/// as [`LiftModelCalls`] made it: how a plan received from another process is rebuilt, with
/// this process's models. All calls must share one forward pass.
pub fn inference_exec(
    input: Arc<dyn ExecutionPlan>,
    calls: Vec<(Arc<dyn PhysicalExpr>, String)>,
    batching: Batching,
) -> Result<InferenceExec> {
    let schema = input.schema();
    let mut group: Option<Group> = None;
    let mut answered = Vec::with_capacity(calls.len());
    for (expr, name) in calls {
        let Some(lifted) = lifted_call(&expr, &schema) else {
            return plan_err!("InferenceExec: '{expr}' is not a model function call");
        };
        match &group {
            Some(g) if !g.serves(&lifted) => {
                return plan_err!("InferenceExec: '{expr}' needs a forward pass of its own");
            }
            Some(_) => {}
            None => {
                group = Some(Group {
                    pass: lifted.call.pass.key(),
                    input: Arc::clone(&lifted.input),
                    paths: lifted.paths.clone(),
                    calls: Vec::new(),
                });
            }
        }
        let field = Arc::new(lifted.field.as_ref().clone().with_name(&name));
        answered.push((lifted, field));
    }
    let (Some(group), Some((first, _))) = (group, answered.first()) else {
        return plan_err!("InferenceExec without model calls");
    };
    let pass = Arc::clone(&first.call.pass);
    let calls = answered
        .into_iter()
        .map(|(lifted, field)| InferenceCall {
            expr: lifted.expr,
            field,
            head: lifted.call.head,
            cache: lifted.cache,
        })
        .collect();
    InferenceExec::try_new(input, pass, group.input, group.paths, calls, batching)
}
