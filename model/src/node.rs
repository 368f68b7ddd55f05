//! The actor: one type for every node kind, dispatching to the kind's logic.

use std::borrow::Cow;
use std::sync::Arc;

use highwater_traces::{Message, NodeId, TimerKind};
use stateright::actor::{model_timeout, Actor, Id, Out};

use crate::broker::BrokerState;
use crate::config::ModelConfig;
use crate::consumer::ConsumerState;
use crate::controller::ControllerState;
use crate::layout::Layout;
use crate::producer::ProducerState;

/// An actor of the model.
#[derive(Clone, Debug)]
pub struct Node {
    /// Which node this actor is.
    pub node: NodeId,
    /// The model's configuration.
    pub cfg: Arc<ModelConfig>,
    /// Where every node sits.
    pub layout: Layout,
}

/// Every node kind's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeState {
    /// The controller.
    Controller(ControllerState),
    /// A broker.
    Broker(BrokerState),
    /// A consumer.
    Consumer(ConsumerState),
    /// The producer.
    Producer(ProducerState),
}

impl NodeState {
    /// Stands in an actor's place, allocating nothing, while its state is taken out to be changed.
    pub(crate) const PLACEHOLDER: NodeState = NodeState::Controller(ControllerState::NONE);
}

/// What a node's logic may do: send, set and cancel timers. Wraps stateright's `Out`.
pub struct Env<'a> {
    /// The configuration.
    pub cfg: &'a ModelConfig,
    layout: Layout,
    out: &'a mut Out<Node>,
}

impl<'a> Env<'a> {
    /// An environment writing to `out`.
    pub fn new(cfg: &'a ModelConfig, layout: Layout, out: &'a mut Out<Node>) -> Self {
        Env { cfg, layout, out }
    }

    /// Send a message.
    pub fn send(&mut self, to: NodeId, message: Message) {
        self.out.send(self.layout.id(to), message);
    }

    /// Set a timer (stateright timers have no duration: any set timer may fire).
    pub fn set_timer(&mut self, timer: TimerKind) {
        self.out.set_timer(timer, model_timeout());
    }

    /// Cancel a timer.
    pub fn cancel_timer(&mut self, timer: TimerKind) {
        self.out.cancel_timer(timer);
    }
}

impl NodeState {
    /// A request this node sent, or its answer, was lost with its connection: the node learns
    /// it at once (TCP resets are signalled), instead of through a request timeout that a
    /// clockless model could fire at any moment.
    pub fn on_disconnect(&mut self, peer: NodeId, env: &mut Env) {
        match self {
            NodeState::Controller(_) => {}
            NodeState::Broker(b) => b.on_disconnect(peer, env),
            NodeState::Consumer(c) => c.on_disconnect(peer, env),
            NodeState::Producer(p) => p.on_disconnect(env),
        }
    }
}

impl Actor for Node {
    type Msg = Message;
    type State = NodeState;
    type Timer = TimerKind;
    type Random = ();
    type Storage = ();

    fn name(&self) -> String {
        self.node.to_string()
    }

    fn on_start(&self, _id: Id, _storage: &Option<()>, out: &mut Out<Self>) -> NodeState {
        let mut env = Env::new(&self.cfg, self.layout, out);
        match self.node {
            NodeId::Controller => NodeState::Controller(ControllerState::start(&mut env)),
            NodeId::Broker(id) => NodeState::Broker(BrokerState::new(id)),
            NodeId::Consumer(id) => NodeState::Consumer(ConsumerState::start(id, &mut env)),
            NodeId::Producer => NodeState::Producer(ProducerState::start(&mut env)),
        }
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<NodeState>, src: Id, msg: Message, out: &mut Out<Self>) {
        let from = self.layout.node(src);
        let mut env = Env::new(&self.cfg, self.layout, out);
        match state.to_mut() {
            NodeState::Controller(s) => s.on_message(from, msg, &mut env),
            NodeState::Broker(s) => s.on_message(from, msg, &mut env),
            NodeState::Consumer(s) => s.on_message(from, msg, &mut env),
            NodeState::Producer(s) => s.on_message(from, msg, &mut env),
        }
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<NodeState>, timer: &TimerKind, out: &mut Out<Self>) {
        let mut env = Env::new(&self.cfg, self.layout, out);
        match state.to_mut() {
            NodeState::Controller(_) => {}
            NodeState::Broker(s) => s.on_timer(*timer, &mut env),
            NodeState::Consumer(s) => s.on_timer(*timer, &mut env),
            NodeState::Producer(s) => s.on_timer(*timer, &mut env),
        }
    }
}
