//! `highwater presets`: the named configurations.

use highwater_model::PRESETS;

/// `highwater presets` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct PresetsOpts {
    /// Print each preset's full configuration as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Run `presets`.
pub fn exec(opts: PresetsOpts) -> u8 {
    if opts.json {
        let all: Vec<_> = PRESETS
            .iter()
            .map(|p| serde_json::json!({ "name": p.name, "about": p.about, "config": p.config() }))
            .collect();
        println!("{}", serde_json::Value::Array(all));
        return crate::exit_codes::OK;
    }
    let width = PRESETS.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in PRESETS {
        let c = p.config();
        println!("{:<width$} {}", p.name, p.about);
        println!("{:width$} {}; {}", "", crate::describe::cluster(&c), crate::describe::rules(&c));
    }
    crate::exit_codes::OK
}
