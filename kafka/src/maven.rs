//! Where the cluster's Java classes come from: Apache Kafka resolved by Maven from the
//! repository's own `kafka/runtime/pom.xml`, or a classpath the user gives (their own build).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::KafkaError;

/// The release `highwater kafka` runs unless told otherwise: the one `docs/` and the protocol
/// crate cite.
pub const DEFAULT_VERSION: &str = "4.4.0";

/// The project's Maven file, built in so that the binary works from any directory.
const POM: &str = include_str!("../runtime/pom.xml");

/// Which Kafka to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// An Apache Kafka release from Maven Central.
    Release(String),
    /// A classpath of the user's own (a build of Kafka being changed).
    Classpath(String),
}

impl Source {
    /// In words, for reports.
    pub fn describe(&self) -> String {
        match self {
            Source::Release(v) => format!("Apache Kafka {v} (Maven Central)"),
            Source::Classpath(cp) => format!("the classpath {cp}"),
        }
    }
}

/// Refuse a source that cannot be right before anything is made: a classpath entry that does
/// not exist, or a version that is not a release number.
pub fn check_source(source: &Source) -> Result<(), KafkaError> {
    match source {
        Source::Classpath(cp) => {
            for entry in std::env::split_paths(cp) {
                let wildcard = entry.file_name().is_some_and(|f| f == "*");
                let exists = if wildcard { entry.parent().is_some_and(Path::is_dir) } else { entry.exists() };
                if !exists {
                    return Err(KafkaError::Input(format!(
                        "--classpath: `{}` does not exist (expected jar files or directories, separated by `:`)",
                        entry.display()
                    )));
                }
            }
            Ok(())
        }
        Source::Release(version) => {
            if version.is_empty() || !version.chars().all(|c| c.is_ascii_alphanumeric() || ".-".contains(c)) {
                return Err(KafkaError::Input(format!(
                    "--kafka-version `{version}`: expected a release number such as {DEFAULT_VERSION}"
                )));
            }
            Ok(())
        }
    }
}

/// The classpath to start the JVMs with. A release is resolved once per `dir` and version and
/// the classpath kept in `dir/classpath-<version>.txt`.
pub fn classpath(source: &Source, dir: &Path) -> Result<String, KafkaError> {
    match source {
        Source::Classpath(cp) => {
            for entry in std::env::split_paths(cp) {
                let exists =
                    entry.exists() || entry.file_name().is_some_and(|f| f == "*") && entry.with_file_name("").exists();
                if !exists {
                    return Err(KafkaError::Input(format!(
                        "--classpath: `{}` does not exist (expected jar files or directories, separated by `:`)",
                        entry.display()
                    )));
                }
            }
            Ok(cp.clone())
        }
        Source::Release(version) => resolve(version, dir),
    }
}

fn resolve(version: &str, dir: &Path) -> Result<String, KafkaError> {
    if version.is_empty() || !version.chars().all(|c| c.is_ascii_alphanumeric() || ".-".contains(c)) {
        return Err(KafkaError::Input(format!(
            "--kafka-version `{version}`: expected a release number such as {DEFAULT_VERSION}"
        )));
    }
    let cached: PathBuf = dir.join(format!("classpath-{version}.txt"));
    if let Ok(cp) = std::fs::read_to_string(&cached) {
        if !cp.trim().is_empty() {
            return Ok(cp.trim().to_string());
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| KafkaError::io(dir, e))?;
    let pom = dir.join("pom.xml");
    std::fs::write(&pom, POM).map_err(|e| KafkaError::io(&pom, e))?;
    let partial = dir.join(format!("classpath-{version}.txt.partial"));
    let output = Command::new("mvn")
        .arg("-B")
        .arg("-q")
        .arg("-f")
        .arg(&pom)
        .arg(format!("-Dkafka.version={version}"))
        .arg("dependency:build-classpath")
        .arg(format!("-Dmdep.outputFile={}", partial.display()))
        .output()
        .map_err(|e| KafkaError::Environment(format!("cannot run `mvn` to resolve Apache Kafka {version}: {e}")))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stdout);
        let tail: Vec<&str> = said.lines().filter(|l| l.contains("ERROR")).take(5).collect();
        return Err(KafkaError::Environment(format!(
            "Maven could not resolve org.apache.kafka:kafka_2.13:{version}:\n{}",
            tail.join("\n")
        )));
    }
    std::fs::rename(&partial, &cached).map_err(|e| KafkaError::io(&cached, e))?;
    let cp = std::fs::read_to_string(&cached).map_err(|e| KafkaError::io(&cached, e))?;
    Ok(cp.trim().to_string())
}
