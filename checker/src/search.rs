//! The level-by-level search.

use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use stateright::{Expectation, Model, Property};

use crate::visited::{Claims, Visited};
use crate::{fingerprint, Discovery, Options, Outcome, Progress, Refusal, Shard, Stop};

/// Actions a state may offer: the low bits of a claim's key number them.
pub(crate) const MAX_ACTIONS: usize = 1 << ACTION_BITS;
const ACTION_BITS: u32 = 20;
/// States a worker takes at a time: enough to make taking them cheap, few enough to keep
/// the workers busy to the end of a level.
const PIECE: usize = 256;

/// A state of the level being expanded.
struct Entry<S> {
    state: S,
    fingerprint: u64,
}

/// Consecutive states of a level, expanded by one worker, which then drops them: no thread
/// waits for a whole level to be dropped.
struct Piece<S> {
    /// The position in the level of its first state.
    start: usize,
    entries: Mutex<Vec<Entry<S>>>,
}

/// How a state was first reached: its parent's position in the level before, and the index of
/// the action (among those the parent offers) that led to it. For an initial state, the index
/// of the state among the initial states.
#[derive(Clone, Copy)]
struct Back {
    parent: u32,
    action: u32,
}

/// A state first found while expanding one piece, with the key of its claim.
struct Candidate<S> {
    key: u64,
    entry: Entry<S>,
}

/// What one piece of a level gave.
struct PieceResult<S> {
    candidates: Vec<Candidate<S>>,
    /// For each property, the least position in the level of a state that discovers it.
    found: Vec<Option<usize>>,
    /// Whether a path went past `max_depth`.
    cut: bool,
    too_many_actions: Option<usize>,
}

/// The states of one level, in order, and how each was reached.
struct Level<S> {
    entries: Vec<Vec<Entry<S>>>,
    backs: Vec<Vec<Back>>,
}

impl<S> Level<S> {
    fn len(&self) -> usize {
        self.entries.iter().map(Vec::len).sum()
    }

    /// Keep only the states `shard` owns.
    fn split(&mut self, shard: Shard) {
        for (entries, backs) in self.entries.iter_mut().zip(&mut self.backs) {
            let owned: Vec<bool> = entries.iter().map(|e| shard.owns(e.fingerprint)).collect();
            let mut keep = owned.iter();
            entries.retain(|_| *keep.next().expect("one per entry"));
            let mut keep = owned.iter();
            backs.retain(|_| *keep.next().expect("one per entry"));
        }
    }

    /// The pieces to expand, and how their states were reached, flat.
    fn into_pieces(self) -> (Vec<Piece<S>>, Vec<Back>) {
        let mut start = 0;
        let mut pieces = Vec::with_capacity(self.entries.len());
        for entries in self.entries.into_iter().filter(|e| !e.is_empty()) {
            let mut entries = entries.into_iter().peekable();
            while entries.peek().is_some() {
                let piece: Vec<Entry<S>> = entries.by_ref().take(PIECE).collect();
                let len = piece.len();
                pieces.push(Piece { start, entries: Mutex::new(piece) });
                start += len;
            }
        }
        (pieces, self.backs.concat())
    }
}

/// Check `model` as `options` ask, updating `progress` as it goes.
pub fn check<M>(model: &M, options: &Options<'_, M::State>, progress: &Progress) -> Result<Outcome<M>, Refusal>
where
    M: Model + Sync,
    M::State: Clone + Hash + Send + Sync,
    M::Action: Clone,
{
    let properties = model.properties();
    if let Some(p) = properties.iter().find(|p| p.expectation == Expectation::Eventually) {
        return Err(Refusal::Eventually(p.name));
    }
    let visited = Visited::new();
    let claims = Claims::new();
    let fingerprint_of = |s: &M::State| match options.symmetry {
        Some(representative) => fingerprint(&representative(s)),
        None => fingerprint(s),
    };

    let mut next = Level { entries: vec![Vec::new()], backs: vec![Vec::new()] };
    for (index, state) in model.init_states().into_iter().enumerate() {
        progress.generated.fetch_add(1, Ordering::Relaxed);
        if !model.within_boundary(&state) {
            continue;
        }
        let fingerprint = fingerprint_of(&state);
        if visited.insert(fingerprint) {
            next.entries[0].push(Entry { state, fingerprint });
            next.backs[0].push(Back { parent: u32::MAX, action: index as u32 });
        }
    }
    progress.unique.store(next.len() as u64, Ordering::Relaxed);

    let mut backs: Vec<Vec<Back>> = Vec::new();
    let mut found: Vec<Option<(usize, usize)>> = vec![None; properties.len()];
    let mut stopped = None;
    let mut split_level = None;
    let mut too_many_actions = None;
    let mut level = 0;
    loop {
        if let Some(shard) = options.shard.filter(|_| split_level.is_none()) {
            if next.len() >= shard.split_width() {
                next.split(shard);
                split_level = Some(level);
            }
        }
        if next.len() == 0 {
            break;
        }
        if next.len() > u32::MAX as usize {
            return Err(Refusal::LevelTooWide(next.len()));
        }
        let (pieces, level_backs) = next.into_pieces();
        backs.push(level_backs);
        progress.depth.store(level + 1, Ordering::Relaxed);
        let expand = options.max_depth.is_none_or(|max| level < max);
        let done_before: Vec<bool> = found.iter().map(Option::is_some).collect();
        let context = Context {
            model,
            options,
            properties: &properties,
            progress,
            fingerprint_of: &fingerprint_of,
            visited: &visited,
            claims: &claims,
        };
        let results = context.expand(&pieces, &done_before, expand);
        drop(pieces);
        let interrupted = results.iter().any(Option::is_none);
        let results: Vec<PieceResult<M::State>> = results.into_iter().flatten().collect();
        for result in &results {
            for (slot, position) in found.iter_mut().zip(&result.found) {
                if let Some(p) = *position {
                    if slot.is_none_or(|(l, q)| l == level && p < q) {
                        *slot = Some((level, p));
                    }
                }
            }
            too_many_actions = too_many_actions.max(result.too_many_actions);
        }
        if interrupted {
            let late = options.deadline.is_some_and(|d| Instant::now() >= d);
            stopped = Some(if late { Stop::Deadline } else { Stop::Interrupted });
            break;
        }
        if results.iter().any(|r| r.cut) {
            stopped = Some(Stop::DepthBound);
            break;
        }
        next = winners(options.threads, results, &visited, &claims);
        claims.clear();
        progress.unique.fetch_add(next.len() as u64, Ordering::Relaxed);
        level += 1;
        let violated = properties.iter().zip(&found).any(|(p, f)| p.expectation == Expectation::Always && f.is_some());
        if options.first_violation && violated {
            stopped = Some(Stop::FirstViolation);
            break;
        }
        let enough = options.max_states.is_some_and(|max| progress.unique.load(Ordering::Relaxed) as usize >= max);
        if enough && next.len() > 0 {
            stopped = Some(Stop::StateBound);
            break;
        }
    }
    if let Some(n) = too_many_actions {
        return Err(Refusal::TooManyActions(n));
    }
    let discoveries = properties
        .iter()
        .zip(&found)
        .filter_map(|(p, f)| f.map(|(level, position)| rebuild(model, p.name, &backs, level, position)))
        .collect();
    let (generated, unique, _) = progress.read();
    Ok(Outcome {
        stopped,
        generated,
        unique,
        depth: backs.len(),
        discoveries,
        fingerprints: options.keep_fingerprints.then(|| visited.sorted()),
        split_level,
        visited_bytes: visited.bytes(),
    })
}

/// What every worker of a level reads.
struct Context<'a, M: Model> {
    model: &'a M,
    options: &'a Options<'a, M::State>,
    properties: &'a [Property<M>],
    progress: &'a Progress,
    fingerprint_of: &'a (dyn Fn(&M::State) -> u64 + Sync),
    visited: &'a Visited,
    claims: &'a Claims,
}

impl<M> Context<'_, M>
where
    M: Model + Sync,
    M::State: Send + Sync,
{
    /// Expand every state of a level, the pieces shared by the workers: check each state's
    /// properties, then generate its successors and claim the new ones. A piece left undone
    /// because the search was interrupted is `None`.
    fn expand(
        &self,
        pieces: &[Piece<M::State>],
        done_before: &[bool],
        expand: bool,
    ) -> Vec<Option<PieceResult<M::State>>> {
        let next_piece = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let work = || {
            let mut done = Vec::new();
            loop {
                let index = next_piece.fetch_add(1, Ordering::Relaxed);
                let Some(piece) = pieces.get(index) else { break };
                let late = || self.options.deadline.is_some_and(|d| Instant::now() >= d);
                if stop.load(Ordering::Relaxed) || (self.options.interrupted)() || late() {
                    stop.store(true, Ordering::Relaxed);
                    done.push((index, None));
                    continue;
                }
                let entries = std::mem::take(&mut *lock(&piece.entries));
                done.push((index, Some(self.expand_piece(piece.start, &entries, done_before, expand))));
            }
            done
        };
        let mut all: Vec<(usize, Option<PieceResult<M::State>>)> = if self.options.threads <= 1 || pieces.len() <= 1 {
            work()
        } else {
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..self.options.threads).map(|_| scope.spawn(work)).collect();
                workers
                    .into_iter()
                    .flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                    .collect()
            })
        };
        all.sort_by_key(|(index, _)| *index);
        all.into_iter().map(|(_, result)| result).collect()
    }

    fn expand_piece(
        &self,
        start: usize,
        entries: &[Entry<M::State>],
        done_before: &[bool],
        expand: bool,
    ) -> PieceResult<M::State> {
        let (model, properties) = (self.model, self.properties);
        let mut result = PieceResult {
            candidates: Vec::new(),
            found: vec![None; properties.len()],
            cut: false,
            too_many_actions: None,
        };
        let mut actions = Vec::new();
        let mut generated = 0;
        for (offset, entry) in entries.iter().enumerate() {
            let position = start + offset;
            let state = &entry.state;
            for (index, property) in properties.iter().enumerate() {
                if done_before[index] || result.found[index].is_some() {
                    continue;
                }
                let holds = (property.condition)(model, state);
                if holds == (property.expectation == Expectation::Sometimes) {
                    result.found[index] = Some(position);
                }
            }
            actions.clear();
            model.actions(state, &mut actions);
            if actions.len() > MAX_ACTIONS {
                result.too_many_actions = Some(actions.len());
                break;
            }
            for (index, action) in actions.drain(..).enumerate() {
                let Some(next) = model.next_state(state, action) else { continue };
                generated += 1;
                if !model.within_boundary(&next) {
                    continue;
                }
                let fingerprint = (self.fingerprint_of)(&next);
                if self.visited.contains(fingerprint) {
                    continue;
                }
                if !expand {
                    result.cut = true;
                    continue;
                }
                let key = ((position as u64) << ACTION_BITS) | index as u64;
                if self.claims.claim(fingerprint, key) {
                    result.candidates.push(Candidate { key, entry: Entry { state: next, fingerprint } });
                }
            }
        }
        self.progress.generated.fetch_add(generated, Ordering::Relaxed);
        result
    }
}

/// The next level: each candidate that holds the least claim on its fingerprint, in key order
/// (pieces are in order, and each piece's candidates are in key order).
fn winners<S: Send>(threads: usize, results: Vec<PieceResult<S>>, visited: &Visited, claims: &Claims) -> Level<S> {
    let keep = |result: PieceResult<S>| -> (Vec<Back>, Vec<Entry<S>>) {
        result
            .candidates
            .into_iter()
            .filter(|c| claims.won(c.entry.fingerprint, c.key) && visited.insert(c.entry.fingerprint))
            .map(|c| {
                let back =
                    Back { parent: (c.key >> ACTION_BITS) as u32, action: (c.key & (MAX_ACTIONS as u64 - 1)) as u32 };
                (back, c.entry)
            })
            .unzip()
    };
    let kept: Vec<(Vec<Back>, Vec<Entry<S>>)> = if threads <= 1 || results.len() <= 1 {
        results.into_iter().map(keep).collect()
    } else {
        let per_worker = results.len().div_ceil(threads);
        let mut groups: Vec<Vec<PieceResult<S>>> = Vec::new();
        let mut results = results.into_iter().peekable();
        while results.peek().is_some() {
            groups.push(results.by_ref().take(per_worker).collect());
        }
        std::thread::scope(|scope| {
            let workers: Vec<_> = groups
                .into_iter()
                .map(|group| scope.spawn(move || group.into_iter().map(keep).collect::<Vec<_>>()))
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        })
    };
    let (backs, entries) = kept.into_iter().unzip();
    Level { entries, backs }
}

/// A lock whose holder panicked still guards a whole value: every update is one call.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The path to the state at `position` in `level`: follow the parents back to an initial state,
/// then replay the actions forward through the model.
fn rebuild<M>(model: &M, property: &'static str, backs: &[Vec<Back>], level: usize, position: usize) -> Discovery<M>
where
    M: Model,
    M::State: Clone,
    M::Action: Clone,
{
    let mut indices = Vec::with_capacity(level);
    let mut position = position;
    for l in (1..=level).rev() {
        let back = backs[l][position];
        indices.push(back.action as usize);
        position = back.parent as usize;
    }
    indices.reverse();
    let init = backs[0][position].action as usize;
    let mut state = model.init_states().swap_remove(init);
    let mut states = vec![state.clone()];
    let mut actions = Vec::with_capacity(indices.len());
    for index in indices {
        let mut offered = Vec::new();
        model.actions(&state, &mut offered);
        let action = offered.swap_remove(index);
        state = model.next_state(&state, action.clone()).expect("the search took this action");
        actions.push(action);
        states.push(state.clone());
    }
    Discovery { property, init, actions, states }
}
