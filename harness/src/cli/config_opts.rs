//! Flags that choose the model's configuration, shared by `check` and `explore`.

use clap::ValueEnum;
use highwater_model::{preset, ModelBug, ModelConfig, Selector, Semantics, PRESETS};
use highwater_traces::OutageShape;

/// `--semantics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SemanticsArg {
    /// What Apache Kafka does.
    Apache,
    /// What the KIP text says.
    KipStrict,
}

/// `--selector`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SelectorArg {
    /// `LeaderSelector`: always the leader.
    Leader,
    /// `RackAwareReplicaSelector`.
    RackAware,
}

/// `--preset` and the flags that override it.
#[derive(Clone, Debug, clap::Args)]
pub struct ConfigOpts {
    /// Named configuration to start from (see `highwater presets`).
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// Number of brokers (ids 1..=N; broker 1 leads first). Racks repeat the preset's when
    /// --racks is not given.
    #[arg(long)]
    pub brokers: Option<usize>,
    /// Rack of each broker, comma-separated, e.g. `a,b,b`.
    #[arg(long, value_delimiter = ',')]
    pub racks: Option<Vec<String>>,
    /// `client.rack` of each consumer, comma-separated; `-` for a consumer with no rack, and
    /// `none` (or an empty value) for no consumers at all.
    #[arg(long, value_delimiter = ',')]
    pub consumers: Option<Vec<String>>,
    /// Records the producer sends (1 to 5).
    #[arg(long)]
    pub records: Option<u64>,
    /// Highest leader epoch faults may lead to; crashes and rack cuts stop once the controller
    /// reaches it.
    #[arg(long)]
    pub max_epoch: Option<i32>,
    /// Broker crashes allowed per run.
    #[arg(long)]
    pub crashes: Option<u32>,
    /// Rack outages allowed per run.
    #[arg(long)]
    pub rack_outages: Option<u32>,
    /// `isr-expiration` ticks allowed per run (`replica.lag.time.max.ms` elapsing: lagging
    /// followers may leave the ISR). Shrinks by fencing are not counted.
    #[arg(long)]
    pub isr_expirations: Option<u32>,
    /// Application seeks allowed per run (to the end or the beginning, on any consumer).
    #[arg(long)]
    pub seeks: Option<u32>,
    /// `min.insync.replicas` (Kafka's default is 1): while the ISR is below it, or below the
    /// replica count if that is smaller, the leader holds its HW and refuses produces.
    #[arg(long, value_name = "N")]
    pub min_insync_replicas: Option<u32>,
    /// Let the network lose messages (controller notices excepted: they stand for the metadata log).
    #[arg(long)]
    pub lossy: bool,
    /// KIP-392 out-of-range semantics: `apache` (what Kafka does) or `kip-strict` (the KIP text).
    #[arg(long, value_enum)]
    pub semantics: Option<SemanticsArg>,
    /// Replica selector the leader runs.
    #[arg(long, value_enum)]
    pub selector: Option<SelectorArg>,
    /// What a rack outage may be, comma-separated: `brokers` (a rack's brokers cut off, its
    /// clients fine), `rack` (a rack isolated, brokers and clients), `link` (two racks cut
    /// apart both ways), `one-way` (messages from one rack to another lost).
    #[arg(long, value_delimiter = ',', value_name = "SHAPES")]
    pub outages: Option<Vec<String>>,
    /// The producer's `client.rack` (without it, a place of its own for outages).
    #[arg(long, value_name = "RACK")]
    pub producer_rack: Option<String>,
    /// Enable a seeded bug by its id (repeatable; `highwater bugs` lists them).
    #[arg(long = "bug", value_name = "ID")]
    pub bugs: Vec<String>,
}

impl ConfigOpts {
    /// The flags as given, to repeat the command that resolved this configuration.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec!["--preset".to_string(), self.preset.clone()];
        let mut put = |flag: &str, value: Option<String>| {
            if let Some(value) = value {
                args.push(format!("--{flag}"));
                args.push(value);
            }
        };
        put("brokers", self.brokers.map(|n| n.to_string()));
        put("racks", self.racks.as_ref().map(|r| r.join(",")));
        put("consumers", self.consumers.as_ref().map(|c| c.join(",")));
        put("records", self.records.map(|n| n.to_string()));
        put("max-epoch", self.max_epoch.map(|n| n.to_string()));
        put("crashes", self.crashes.map(|n| n.to_string()));
        put("rack-outages", self.rack_outages.map(|n| n.to_string()));
        put("isr-expirations", self.isr_expirations.map(|n| n.to_string()));
        put("seeks", self.seeks.map(|n| n.to_string()));
        put("min-insync-replicas", self.min_insync_replicas.map(|n| n.to_string()));
        put("semantics", self.semantics.and_then(|s| s.to_possible_value()).map(|v| v.get_name().to_string()));
        put("selector", self.selector.and_then(|s| s.to_possible_value()).map(|v| v.get_name().to_string()));
        put("outages", self.outages.as_ref().map(|o| o.join(",")));
        put("producer-rack", self.producer_rack.clone());
        for bug in &self.bugs {
            put("bug", Some(bug.clone()));
        }
        if self.lossy {
            args.push("--lossy".to_string());
        }
        args
    }

    /// The configuration, or the exit code after the error is printed (usage error, exit 2).
    pub fn resolve_or_report(&self) -> Result<ModelConfig, u8> {
        self.resolve().map_err(|error| {
            eprintln!("error: {error}");
            crate::exit_codes::USAGE
        })
    }

    /// The configuration the flags describe, or why they describe none.
    pub fn resolve(&self) -> Result<ModelConfig, String> {
        let base = preset(&self.preset).ok_or_else(|| {
            let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
            format!("unknown preset `{}`; expected one of: {}", self.preset, names.join(", "))
        })?;
        let mut cfg = base.config();
        // Bounded before anything is built from it: the model supports at most 5 brokers.
        if let Some(n) = self.brokers.filter(|n| !(1..=5).contains(n)) {
            return Err(format!("--brokers {n}: choose 1 to 5 (the model supports at most 5 brokers)"));
        }
        for rack in self.racks.iter().flatten() {
            rack_name("--racks", rack)?;
        }
        if let Some(rack) = &self.producer_rack {
            rack_name("--producer-rack", rack)?;
        }
        match (&self.racks, self.brokers) {
            (Some(racks), Some(n)) if racks.len() != n => {
                return Err(format!("--brokers {n} but --racks names {} racks; give one rack per broker", racks.len()))
            }
            (Some(racks), _) => cfg.broker_racks = racks.clone(),
            (None, Some(n)) => {
                let racks = cfg.racks();
                cfg.broker_racks = (0..n).map(|i| racks[i % racks.len()].clone()).collect();
            }
            (None, None) => {}
        }
        if let Some(consumers) = &self.consumers {
            cfg.consumer_racks = consumer_racks(consumers)?;
        }
        if let Some(records) = self.records {
            cfg.records = records;
        }
        if let Some(e) = self.max_epoch {
            cfg.max_leader_epoch = Some(e);
        }
        if let Some(c) = self.crashes {
            cfg.crashes = c;
        }
        if let Some(r) = self.rack_outages {
            cfg.rack_outages = r;
        }
        if let Some(t) = self.isr_expirations {
            cfg.isr_expirations = t;
        }
        if let Some(n) = self.seeks {
            cfg.seeks = n;
        }
        if let Some(n) = self.min_insync_replicas {
            cfg.min_insync_replicas = n;
        }
        cfg.lossy |= self.lossy;
        if let Some(shapes) = &self.outages {
            cfg.outage_shapes = shapes
                .iter()
                .map(|name| {
                    OutageShape::ALL.iter().copied().find(|s| s.name() == name).ok_or_else(|| {
                        format!("--outages: `{name}` is not an outage shape; expected brokers, rack, link or one-way")
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(rack) = &self.producer_rack {
            cfg.producer_rack = Some(rack.clone());
        }
        for id in &self.bugs {
            let bug = ModelBug::from_id(id)
                .ok_or_else(|| format!("--bug {id}: no such seeded bug; `highwater bugs` lists them"))?;
            cfg.bugs.insert(bug);
        }
        if let Some(s) = self.semantics {
            cfg.semantics = match s {
                SemanticsArg::Apache => Semantics::Apache,
                SemanticsArg::KipStrict => Semantics::KipStrict,
            };
        }
        if let Some(s) = self.selector {
            cfg.selector = match s {
                SelectorArg::Leader => Selector::Leader,
                SelectorArg::RackAware => Selector::RackAware,
            };
        }
        cfg.validate()?;
        Ok(cfg)
    }
}

/// `--consumers`: `none` or nothing means no consumers; otherwise one `client.rack` per
/// consumer, `-` for none. An empty item (`b,,b`) is refused rather than read as a rack named "".
fn consumer_racks(items: &[String]) -> Result<Vec<Option<String>>, String> {
    match items {
        [] => return Ok(Vec::new()),
        [only] if only.is_empty() || only == "none" => return Ok(Vec::new()),
        _ => {}
    }
    items
        .iter()
        .enumerate()
        .map(|(i, rack)| match rack.as_str() {
            "" => Err(format!(
                "--consumers: item {} is empty; give a rack name, `-` for a consumer with no rack, or `none` alone for no consumers",
                i + 1
            )),
            "-" => Ok(None),
            rack => rack_name("--consumers", rack).map(|r| Some(r.to_string())),
        })
        .collect()
}

/// A rack name: letters, digits, `.`, `_` and `-`. Anything else (`a;b`, `a b`) is far likelier
/// a mistyped list than a rack, and would silently make one rack of two.
fn rack_name<'r>(flag: &str, rack: &'r str) -> Result<&'r str, String> {
    let valid = !rack.is_empty() && rack.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(rack)
    } else {
        Err(format!(
            "{flag}: `{rack}` is not a rack name; a rack is letters, digits, `.`, `_` or `-`, and a list is comma-separated (a,b,b)"
        ))
    }
}
