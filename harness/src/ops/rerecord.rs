//! Record a trace file's steps again through today's model: the same actions and `#meta`, the
//! states the model now reaches. After a deliberate change to the model's rules, this brings a
//! corpus up to date without searching for its scenarios again; the recorded verdict must still
//! show, or the file is left as it was.

use std::path::Path;

use highwater_model::view::view;
use highwater_model::ClusterModel;
use highwater_properties::Kind;

use crate::run::DEFAULT_LIVENESS_BOUND;
use highwater_traces::{FORMAT, VARS};

use crate::tracefile::{continuation, load, shows, walk_recorded, write_whole};

/// What re-recording one file did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rerecorded {
    /// Every state is as recorded: the file is not written.
    Unchanged,
    /// The file was written; this many states differ from what it recorded.
    Updated {
        /// States that changed, of the trace's states (the initial one included).
        changed: usize,
    },
}

/// Why a file was left as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotRerecorded {
    /// Not a trace file this suite reads, or it cannot be written (exit 2).
    Input(String),
    /// The model no longer takes the steps, or they no longer show the recorded verdict (exit 1).
    Changed(String),
}

/// Re-record `file` in place.
pub fn rerecord(file: &Path) -> Result<Rerecorded, NotRerecorded> {
    let (mut trace, cfg) = load(file).map_err(NotRerecorded::Input)?;
    let property = highwater_properties::by_name(&trace.meta.property);
    let liveness_bound = match property.map(|p| p.kind) {
        Some(Kind::Liveness) => trace.meta.liveness_bound.parse().unwrap_or(DEFAULT_LIVENESS_BOUND),
        _ => 0,
    };
    let model = ClusterModel::new(cfg);
    let changed = |e: crate::tracefile::NotAPath| NotRerecorded::Changed(format!("{}: {e}", file.display()));
    // A liveness trace's fair continuation is the model's to say again, not a path to re-walk:
    // the path is kept, the continuation recomputed.
    let mut actions = trace.actions();
    if let Some(property) = property.filter(|p| p.kind == Kind::Liveness) {
        let path = trace.path();
        actions = path.clone();
        actions.extend(continuation(&model, &path, property, liveness_bound).map_err(changed)?);
        trace.meta.continuation_from = path.len().to_string();
    }
    let (states, messages) = walk_recorded(&model.cfg, &actions).map_err(changed)?;
    let verdict_state = &states[trace.continuation_from().unwrap_or(states.len() - 1)];
    if let Some(property) = property.filter(|p| !shows(&model, p, verdict_state, liveness_bound)) {
        return Err(NotRerecorded::Changed(format!(
            "{}: the steps no longer show `{}` {}",
            file.display(),
            property.name,
            trace.meta.verdict
        )));
    }
    let mut changed = states.len().abs_diff(trace.states.len());
    trace.states.truncate(states.len());
    for (index, ((state, moved), action)) in
        states.iter().zip(messages).zip(std::iter::once(None).chain(actions.iter().map(Some))).enumerate()
    {
        let now = view(&model, state);
        match trace.states.get_mut(index) {
            Some(recorded)
                if recorded.view == now && recorded.messages == moved && recorded.action.as_ref() == action => {}
            Some(recorded) => {
                recorded.view = now;
                recorded.messages = moved;
                recorded.action_taken = action.map_or("init", |a| a.kind()).to_string();
                recorded.action = action.cloned();
                changed += 1;
            }
            None => trace.states.push(highwater_traces::TraceState {
                meta: highwater_traces::StateMeta { index: index as u64 },
                action_taken: action.map_or("init", |a| a.kind()).to_string(),
                action: action.cloned(),
                messages: moved,
                view: now,
            }),
        }
    }
    // An older format version is brought up to this one, which records what the steps moved.
    let upgraded = trace.meta.format != FORMAT || trace.vars != VARS;
    trace.meta.format = FORMAT.to_string();
    trace.vars = VARS.iter().map(|v| v.to_string()).collect();
    if changed == 0 && !upgraded {
        return Ok(Rerecorded::Unchanged);
    }
    trace.meta.source = format!("highwater {}", env!("CARGO_PKG_VERSION"));
    write_whole(file, trace.to_json())
        .map_err(|e| NotRerecorded::Input(format!("{}: cannot write: {e}", file.display())))?;
    Ok(Rerecorded::Updated { changed })
}
