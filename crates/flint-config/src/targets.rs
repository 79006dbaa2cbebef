//! Target-group files (file SD, `promtool check service-discovery`): a list of
//! `{targets, labels}` in JSON or YAML.

use std::path::Path;

use crate::error::{Error, Problem};
use crate::sd::StaticConfig;

/// Parses a target-group file; the format follows the extension (`.json`, `.yml`, `.yaml`).
pub fn parse_target_groups(path: &Path, content: &str) -> Result<Vec<StaticConfig>, Error> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let problem = |line, column, message: String| Error::Invalid {
        problems: vec![Problem::at(Some(path.to_path_buf()), line, column, message)],
    };
    let groups: Vec<Option<StaticConfig>> = match ext.as_str() {
        "json" => serde_json::from_str(content)
            .map_err(|e| problem(e.line(), e.column(), e.to_string()))?,
        "yml" | "yaml" => crate::load::parse_yaml(content, Some(path))
            .map_err(|p| Error::Invalid { problems: vec![p] })?,
        _ => return Err(problem(0, 0, format!("invalid file extension: {ext:?}"))),
    };
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let Some(g) = g else {
            return Err(problem(0, 0, "nil target group item found".into()));
        };
        for t in &g.targets {
            if t.contains('/') {
                return Err(problem(0, 0, format!("{t:?} is not a valid hostname")));
            }
        }
        out.push(g);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_json_and_yaml() {
        let j = parse_target_groups(
            Path::new("a.json"),
            r#"[{"targets": ["a:1"], "labels": {"x": "y"}}]"#,
        )
        .unwrap();
        assert_eq!(j[0].targets, ["a:1"]);
        let y = parse_target_groups(Path::new("a.yml"), "- targets: ['b:2']\n").unwrap();
        assert_eq!(y[0].targets, ["b:2"]);
        assert!(parse_target_groups(Path::new("a.yml"), "- targats: ['b:2']\n").is_err());
        assert!(parse_target_groups(Path::new("a.txt"), "").is_err());
    }
}
